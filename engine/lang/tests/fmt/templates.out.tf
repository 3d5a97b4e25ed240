a = "hello ${name}"
b = "hello ${~name~}"
c = "${b}${c}${d} ${e}"
d = "%{if true}${var.foo}%{endif}"
e = "%{for x in var.list~}${x},%{endfor~}"
f = "escaped $${not} %%{this} \" quote"
g = { a = 1 }
