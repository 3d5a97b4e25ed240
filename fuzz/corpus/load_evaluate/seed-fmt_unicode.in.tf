emoji = 1 # foo
bungle = "🇬🇧" # baz
zebra = "striped" # baz
a = "ünïcödé" # c
bb = "日本語" # c
ccc = 1 # c
d = "e\u0301" # c
