module github.com/wodlekit/wodlekit/vendors/onepassword

go 1.26

require github.com/wodlekit/wodlekit/runtime v0.0.0

replace github.com/wodlekit/wodlekit/runtime => ../../runtime
