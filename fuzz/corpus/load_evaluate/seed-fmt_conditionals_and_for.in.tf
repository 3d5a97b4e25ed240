a = [for x in var.list : upper(x) if x!=""]
b = {for k,v in var.map: k=>v...}
c = [for x in [1,2]: x*2]
d = var.enabled ? 1 : 0
e = (
  var.a
  ? "yes"
  : "no"
)
f = [
for s in var.subnets:
s.id
]
x = {
  "a.b" = 1
  (var.k) = 2
  c: 3,
  d = 4,
}
y = var.cond ? {
  a = 1
} : {
  a = 2
}
z = var.cond ? [
  1
] : []
w = (var.a +
  var.b +
  var.c)
