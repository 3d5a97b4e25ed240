variable "names" {
  default = ["web", "db"]
}

locals {
  simple      = "Hello, ${"world"}!"
  escaped     = "literal $${not} and %%{not}"
  directive   = "%{if var.names == []}none%{else}some%{endif}"
  loop        = "%{for n in var.names}[${n}]%{endfor}"
  stripped    = <<-EOT
    %{~ for n in var.names ~}
    ${n}
    %{~ endfor ~}
  EOT
  heredoc     = <<EOT
line one
  line two
EOT
  indented    = <<-EOT
    first
      second
    EOT
  only_interp = "${var.names}"
}
