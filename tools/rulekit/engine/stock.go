package engine

// The stock Wazuh pieces that decide what happens to our lines before (or
// instead of) our own decoders and rules. These are our own minimal
// descriptions, not copies of Wazuh files:
//   - ruleset/decoders/0006-json_decoders.xml: decoder "json", prematch
//     ^{\s*" with the JSON_Decoder plugin (facts §0).
//   - stock top-level rules keyed on generic JSON names (facts §0). Only
//     86600 is quoted by id and conditions in the facts file; the others keep
//     the conditions listed there, with ids given as best known, and exist so
//     the tool can warn when a line decoded as `json` would be claimed.
// Every stock rule is `decoded_as json`: an event decoded by a vendor child
// decoder with use_own_name never reaches them.

// StockFile is a stock file, sorted among ours by basename like Read_Rules().
type StockFile struct {
	Base string
	XML  string
}

// StockDecoders are loaded with the vendor decoders.
var StockDecoders = []StockFile{{"0006-json_decoders.xml", `
<decoder name="json">
  <prematch>^{\s*"</prematch>
  <plugin_decoder>JSON_Decoder</plugin_decoder>
</decoder>`}}

// StockRules are loaded with the vendor rules.
var StockRules = []StockFile{
	{"0475-suricata_rules.xml", `
<group name="ids,suricata,">
  <rule id="86600" level="0">
    <decoded_as>json</decoded_as>
    <field name="timestamp">\.+</field>
    <field name="event_type">\.+</field>
    <description>Suricata messages.</description>
  </rule>
</group>`},
	{"0560-gitlab_rules.xml", `
<group name="gitlab,">
  <rule id="65600" level="0">
    <decoded_as>json</decoded_as>
    <field name="method">\.+</field>
    <field name="controller">\.+</field>
    <field name="path">\.+</field>
    <description>Gitlab messages.</description>
  </rule>
</group>`},
	{"0680-cloudflare-waf_rules.xml", `
<group name="cloudflare,">
  <rule id="92501" level="0">
    <decoded_as>json</decoded_as>
    <field name="WAFAction">\.+</field>
    <description>Cloudflare WAF messages.</description>
  </rule>
</group>`},
	{"0690-amazon-security-lake_rules.xml", `
<group name="amazon_security_lake,">
  <rule id="99000" level="0">
    <decoded_as>json</decoded_as>
    <field name="activity_id">\.+</field>
    <field name="category_uid">\.+</field>
    <description>Amazon Security Lake messages.</description>
  </rule>
</group>`},
	{"0350-amazon_rules.xml", `
<group name="amazon,">
  <rule id="80200" level="0">
    <decoded_as>json</decoded_as>
    <field name="integration">aws</field>
    <description>AWS integration messages.</description>
  </rule>
</group>`},
	{"0580-gcp_rules.xml", `
<group name="gcp,">
  <rule id="65000" level="0">
    <decoded_as>json</decoded_as>
    <field name="integration">gcp</field>
    <description>GCP integration messages.</description>
  </rule>
</group>`},
	{"0625-github_rules.xml", `
<group name="github,">
  <rule id="91100" level="0">
    <decoded_as>json</decoded_as>
    <field name="integration">github</field>
    <description>GitHub integration messages.</description>
  </rule>
</group>`},
	{"0640-ms-office365_rules.xml", `
<group name="office365,">
  <rule id="91530" level="0">
    <decoded_as>json</decoded_as>
    <field name="integration">office365</field>
    <description>Office 365 integration messages.</description>
  </rule>
</group>`},
	{"0490-virustotal_rules.xml", `
<group name="virustotal,">
  <rule id="87100" level="0">
    <decoded_as>json</decoded_as>
    <field name="integration">virustotal</field>
    <description>VirusTotal integration messages.</description>
  </rule>
</group>`},
	{"0660-maltiverse_rules.xml", `
<group name="maltiverse,">
  <rule id="99500" level="0">
    <decoded_as>json</decoded_as>
    <field name="integration">maltiverse</field>
    <description>Maltiverse integration messages.</description>
  </rule>
</group>`},
	{"0560-docker_rules.xml", `
<group name="docker,">
  <rule id="86000" level="0">
    <decoded_as>json</decoded_as>
    <field name="integration">^docker$</field>
    <description>Docker integration messages.</description>
  </rule>
</group>`},
}
