tags = {
Name = "x"
Environment = "prod"
"quoted key" = 1

after_blank = 2
nested = {
a = 1
bbb = 2
}
}
list = [
{
a = 1
}, {
b = 2
},
]
empty = {}
empty_list = []
m = { a = 1, b = 2 }
n = {a:1,b:2}
