a01=1
a02=b.c
a03=b[c]
a04=b()[c]
a05=["hello"][0]
a06=( a+2 )
a07=( a*2 )
a08=( a+-2 )
a09=( a*-2 )
a10=(-2+1)
a11=foo(1, -2,a*b, b,c)
a12=foo(a,b...)
a13=! true
a14="hello ${ name }"
a15="hello ${~ name ~}"
a16="${b}${c}${ d } ${e}"
a17="%{if true}${var.foo}%{endif}"
b{}
a18="${
hello
}"
a19=foo(
1,
- 2,
a*b,
b,
c,
)
a20=a?b:c
a21=[ [ ] ]
a22=[for x in y : x]
a23=[for x in [y] : x]
a24=[
[
a
]
]
a25=[[
a
]]
a26=[[
[
a
]
]]
b {
a = 1
}
b {a = 1}

case1 {
a = 1
bungle = 2
}

case2 {
a = 1
}

bungle = 2

case4 {
a = 1 # foo
bungle = 2
}

case5 {
# here we go
a = 1 # foo
bungle = "bonce" # baz
}

case6 {
foo {} # here we go
a = 1 # foo
bungle = "bonce" # baz
}

case7 {
a = 1 # foo
bungle = (
    "bonce"
) # baz
zebra = "striped" # baz
}

foo {
# ...
}
foo1 = {
# ...
}
foo2 = [
# ...
]
foo3 = [{
# ...
}]
foo {
bar {
# ...
}
}
foo {
bar = <<EOT
Foo bar baz
EOT
baz = <<EOT
Foo bar baz
EOT
}

bar {
foo = "bar"
}
module "foo" {
foo = <<EOF
5
EOF
}

module "x" {
a = "b"
abcde = "456"
}
