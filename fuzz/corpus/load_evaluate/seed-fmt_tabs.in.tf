tabs	=	1
	tabbed = 2
block {
	x = 1
	yy = "a	b"
}
