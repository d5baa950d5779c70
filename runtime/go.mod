module github.com/wodlekit/wodlekit/runtime

go 1.26.0

require (
	github.com/alecthomas/kong v1.17.0
	github.com/go-json-experiment/json v1.27.2
	github.com/sethvargo/go-envconfig v1.4.3
	golang.org/x/sync v0.25.0
	golang.org/x/time v0.16.0
)

require golang.org/x/sys v0.38.0
