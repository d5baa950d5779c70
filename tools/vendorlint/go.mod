module github.com/wodlekit/wodlekit/tools/vendorlint

go 1.26
