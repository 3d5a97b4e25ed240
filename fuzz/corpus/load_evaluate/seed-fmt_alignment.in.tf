a=1
bungle = 2
c   =   "three"

d = 4
# own line comment
ee = 5
block {
x=1
longer_name = 2
  inner { y = 1 }
z = 3
}
