b{}
c {a = 1}
d "lbl" {   }
e { f = { g = 1 } }
locals { x = [ 1,2 , 3 ] }
