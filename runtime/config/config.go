// Package config reads the settings every vendor binary shares from the
// environment (go-envconfig, one prefix per vendor) and validates them all
// at once, without any network call.
package config

import (
	"time"
)

// WazuhOutputMax is how much of a run's output wazuh-modulesd keeps
// (WM_STRING_MAX, 64 MiB); past it the command wodle stops reading.
const WazuhOutputMax = 64 << 20

// StdoutPageLimit is where the stdout sink stops delivering pages: a page is
// handed over only if it ends within this many bytes of the run's output.
// The 1 MiB margin below WazuhOutputMax leaves room for the run's own error
// and summary events.
const StdoutPageLimit = WazuhOutputMax - 1<<20

// Common holds the settings every vendor binary has, under its prefix
// (OP_BASE_URL, OKTA_BASE_URL, ...). The help tags are the user
// documentation: `metadata` and the packaged settings file are built from them.
type Common struct {
	BaseURL         string        `env:"BASE_URL" help:"API base URL (https; plain http only for loopback addresses)."`
	Instance        string        `env:"INSTANCE, default=default" help:"Instance name: names the state file, the lock and the queue location, so several tenants can run side by side."`
	StateDir        string        `env:"STATE_DIR, default=/var/ossec/var/wodles/{vendor}" help:"Directory for the state file when STATE_FILE is unset."`
	StateFile       string        `env:"STATE_FILE" help:"State file path (default: STATE_DIR/<instance>.state.json)."`
	SecretsFile     string        `env:"SECRETS_FILE" help:"KEY=VALUE secrets file (mode 0600 or 0640)."`
	CredentialsDir  string        `env:"CREDENTIALS_DIR" help:"Directory with one file per secret key (systemd LoadCredential); default $CREDENTIALS_DIRECTORY."`
	Debug           int           `env:"DEBUG, default=0" help:"Log level: 0 warnings and errors, 1 info, 2 debug, 3 trace (HTTP attempts)."`
	LogFile         string        `env:"LOG_FILE" help:"Log file; logs go to stderr only when unset (never to stdout)."`
	LogMaxBytes     int64         `env:"LOG_MAX_BYTES, default=10485760" help:"Log file size at which it is rotated to .1."`
	Sources         string        `env:"SOURCES, default=all" help:"Modules to collect: a comma list, or all (--source overrides)."`
	LookbackHours   float64       `env:"LOOKBACK_HOURS, default=24" help:"How far back a first run (or --all) starts, in hours."`
	MaxEventsPerRun int           `env:"MAX_EVENTS_PER_RUN, default=50000" help:"Stop at a page boundary once the run emitted this many events, all modules together (0 = no cap); the rest comes next run."`
	MaxBytesPerRun  int64         `env:"MAX_BYTES_PER_RUN, default=50000000" help:"Stop at a page boundary once the run emitted this many bytes, all modules together (0 = no cap, wazuh-queue sink only); with the stdout sink at most 66060288 (Wazuh keeps 64 MiB of a run's output, less a margin for the run's own events)."`
	MaxRuntime      time.Duration `env:"MAX_RUNTIME, default=240s" help:"Run deadline, below the wodle <timeout>: stop at a page boundary with the cursor saved."`
	Commit          string        `env:"COMMIT, default=auto" help:"When a page's cursor is committed: auto (next-run when wazuh-modulesd runs this with the stdout sink, else immediate), immediate (as soon as the page is written), or next-run (kept pending until the next run started by the same wazuh-modulesd, which has forwarded this run's output by then; a manager restart replays the run instead of losing it)."`
	Sink            string        `env:"SINK, default=stdout" help:"Where events go: stdout (command wodle) or wazuh-queue (Wazuh's local queue socket)."`
	QueueSocket     string        `env:"QUEUE_SOCKET, default=/var/ossec/queue/sockets/queue" help:"Wazuh's queue socket for SINK=wazuh-queue."`
	Tag             string        `env:"TAG" help:"Wodle tag; events get location command_<tag> (default: vendor, or vendor-instance)."`
	QueueEPS        int           `env:"QUEUE_EPS, default=1000" help:"Events per second sent to the queue socket (SINK=wazuh-queue)."`
	MaxLineBytes    int           `env:"MAX_LINE_BYTES, default=60000" help:"Byte budget of one event line; larger strings are shrunk with a marker."`
	MaxFields       int           `env:"MAX_FIELDS, default=256" help:"Leaf-field budget of one event (Wazuh's decoder_order_size); deeper objects are folded into strings."`
	ProxyURL        string        `env:"PROXY_URL" help:"HTTP(S) proxy; default from HTTPS_PROXY/NO_PROXY."`
	CAFile          string        `env:"CA_FILE" help:"Extra PEM CA certificates to trust."`
	RequestTimeout  time.Duration `env:"REQUEST_TIMEOUT, default=60s" help:"Timeout of one HTTP attempt, body included."`
	RetryAttempts   int           `env:"RETRY_ATTEMPTS, default=5" help:"Attempts per request on 5xx, 429 and network errors."`
	RetryBackoff    time.Duration `env:"RETRY_BACKOFF, default=1s" help:"First backoff after a 5xx or network error; doubles up to 60s, with jitter."`
	RequestsPerMin  int           `env:"REQUESTS_PER_MINUTE" help:"Client-side request budget (default: the vendor's documented limit; -1 disables pacing)."`
	PageSize        int           `env:"PAGE_SIZE" help:"Records per request (default: the vendor's maximum)."`
}
