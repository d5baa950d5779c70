module github.com/wodlekit/wodlekit/tools/rulekit

go 1.26
