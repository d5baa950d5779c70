module github.com/wodlekit/wodlekit/tools/fakeapi

go 1.26.0

require (
	github.com/wodlekit/wodlekit/runtime v0.0.0
	github.com/wodlekit/wodlekit/vendors/duo v0.0.0
	github.com/wodlekit/wodlekit/vendors/okta v0.0.0
	github.com/wodlekit/wodlekit/vendors/onepassword v0.0.0
	github.com/wodlekit/wodlekit/vendors/proofpoint_tap v0.0.0
	github.com/wodlekit/wodlekit/vendors/slack v0.0.0
)

require (
	github.com/alecthomas/kong v1.17.0 // indirect
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	github.com/sethvargo/go-envconfig v1.4.3 // indirect
	github.com/wodlekit/wodlekit/vendors/google_workspace v0.0.0
	github.com/wodlekit/wodlekit/vendors/mimecast v0.0.0
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.38.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace (
	github.com/wodlekit/wodlekit/runtime => ../../runtime
	github.com/wodlekit/wodlekit/vendors/duo => ../../vendors/duo
	github.com/wodlekit/wodlekit/vendors/okta => ../../vendors/okta
	github.com/wodlekit/wodlekit/vendors/onepassword => ../../vendors/onepassword
	github.com/wodlekit/wodlekit/vendors/proofpoint_tap => ../../vendors/proofpoint_tap
	github.com/wodlekit/wodlekit/vendors/slack => ../../vendors/slack
)

replace github.com/wodlekit/wodlekit/vendors/google_workspace => ../../vendors/google_workspace

replace github.com/wodlekit/wodlekit/vendors/mimecast => ../../vendors/mimecast
