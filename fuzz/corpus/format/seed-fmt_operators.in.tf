a = -1
b = 1 - -1
c = x-1
d = [ -1, - 2 ]
e = var.x[ 0 ]
f = var.x [0]
g = func() [0]
h = "a" [0]
i = { a = 1 } ["a"]
j = a.0.b
k = 1.5e10 + 2E-3
l = a.*.b
m = a % 2 * 3 / 4
n = a >= b && c <= d || e > f && g < h
o = [for x in [foo]: x]
p = {for i, v in ["a"]: v => i}
q = try(var.a, null)
r = a   ==   b
s = (a)
t = ((a + b) * c)
