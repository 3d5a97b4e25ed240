x = merge(
var.tags,
{
Name = "foo"
Env = var.env
},
)
y = join(",", [
"a",
"b"])
z = foo(1, -2,a*b, b,c)
w = foo(a,b...)
v = ! true
u = a?b:c
t = (-2+1)
s = a.b[0].c[*].d
r = length(var.list)-1
q = var.a== var.b&&!var.c||var.d
p = provider::framework::example()
