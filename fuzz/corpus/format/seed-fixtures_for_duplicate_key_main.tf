locals {
  dup = { for s in ["a", "b", "a"] : s => 1 }
}
