# hash comment
// slash comment
/* block comment */
/*
 multi-line
   block comment
*/
a = 1 # foo
bungle = "bonce" // baz
zebra = "striped" /* inline */
resource "x" "y" { # after brace
  name = "n"    # trailing   
  /* before */ value = 2
  list = [ # open
    1, # one
    2,  // two
  ]
}
a2="apple"# foo
bungle2=(# woo parens
"bonce"
)# baz
zebra2="striped"# baz
#!/usr/bin/env something
a3 = 1 /* c1 */ # c2
b3 = /* before */ 2
c3 = 3 /* multi
line */
d3 = 4
/* top */ e3 = 5
f3 = [
  1 /* one */,
  2,
]
