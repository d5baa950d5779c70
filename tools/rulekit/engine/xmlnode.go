// Package engine loads Wazuh 4.x decoder and rule XML and evaluates events
// the way analysisd does (decoders/decoder.c: DecodeEvent(), rules.c:
// OS_CheckIfRuleMatch(), logtest.c: w_logtest_rulesmatching_phase()).
package engine

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Node is an XML element with the line it starts on.
type Node struct {
	Name     string
	Attrs    map[string]string
	Text     string
	Children []*Node
	Line     int
}

// Attr returns an attribute value.
func (n *Node) Attr(k string) (string, bool) { v, ok := n.Attrs[k]; return v, ok }

// ParseXML reads a Wazuh XML file, which (unlike XML documents) holds
// several top-level elements.
func ParseXML(data []byte) ([]*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var roots []*Node
	var stack []*Node
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &Node{Name: t.Name.Local, Attrs: map[string]string{}, Line: line}
			for _, a := range t.Attr {
				n.Attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				roots = append(roots, n)
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			}
		}
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("xml: unclosed <%s>", stack[len(stack)-1].Name)
	}
	return roots, nil
}

// text is an element's content trimmed the way os_xml keeps it.
func (n *Node) text() string { return strings.TrimSpace(n.Text) }
