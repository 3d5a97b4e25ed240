locals {
  a = 1 # one

  bb = 2 # two
  ccc = {
    d = 1 # three
  } # four
  e = 5 # five
}
x = [
  1,
  # own line
  2,
]
y = {
  a = 1, b = 2
  ccc = 3
}
resource "a" "b" {
  x = 1
}
# trailing comment at end
