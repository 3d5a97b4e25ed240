locals {
  sum          = "1" + 1
  product      = 6 * 7
  quotient     = 7 / 2
  remainder    = -7 % 3
  big          = 123456789012345678901234567890 + 1
  compare      = 3 >= 2.5
  logic        = true && !false
  equal_mixed  = "1" == 1
  equal_num    = 1 == 1.0
  negated      = -(2 + 3)
  precedence   = 1 + 2 * 3 - 4 / 2
  string_bool  = "true" && true
  conditional  = 1 > 2 ? "yes" : "no"
  unified      = true ? 1 : "two"
  null_check   = null == null
}
