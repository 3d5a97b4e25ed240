locals {
  bad_cond   = "maybe" ? 1 : 2
  null_cond  = null ? 1 : 2
  mismatch   = true ? [1] : { a = 1 }
  div_zero   = 1 / 0
  null_plus  = null + 1
  str_minus  = "abc" - 1
  interp_null = "x${null}"
  interp_list = "x${[1]}"
}
