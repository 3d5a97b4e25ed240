locals {
  long = [
    "a", "b",
    "c", "d"
  ]
  call = foo(bar(
    1,
    2
  ))
  x = {
    a = [
      1,
    ]
    b = 2
    c = 3 # c
  }
  after = 1
}
a = [[
[
1
]]
]
b = [
[
1
]
]
locals {
  a = 1
  # comment between
  bb = 2
  ccc = {
    x = 1
  }
  dddd = 4
  e = [1,
    2]
  f = 6
}
