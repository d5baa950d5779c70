module github.com/wodlekit/wodlekit/vendors/google_workspace

go 1.26.0

require (
	github.com/wodlekit/wodlekit/runtime v0.0.0
	golang.org/x/oauth2 v0.38.0
)

require (
	github.com/alecthomas/kong v1.17.0 // indirect
	github.com/sethvargo/go-envconfig v1.4.3 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.38.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/wodlekit/wodlekit/runtime => ../../runtime
