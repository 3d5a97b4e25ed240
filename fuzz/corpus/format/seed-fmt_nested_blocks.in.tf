block "a" "b" "c" {
  attr = 1
}
block a "b" c {}
block {
  nested {
    deeper {
      x = 1
      yy = 2
    }
  }
}
      indented_wrong = 1
block {
        x = 1
   }
block {
  a = 1

  # foo
  nested "x" {
  }
  nested "y" {}
  dynamic "z" {
    for_each = []
    content {}
  }
}
