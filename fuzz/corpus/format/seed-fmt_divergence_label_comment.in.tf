block /* kept */ "x" {}
other label /* kept too */ {
}
