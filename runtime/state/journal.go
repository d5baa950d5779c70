package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/wodlekit/wodlekit/runtime/internal/idwindow"
)

// The journal is how a page's commit reaches the disk between two
// snapshots. Rewriting the whole file after every page cost a backlog
// most of its state time: the file holds every module's window of recent
// IDs (three modules of 5,000 IDs is about 450 KB), a page adds a few
// hundred of them, and on ext4 every rename over the old file also starts
// writing the new one out (auto_da_alloc). A page now appends one line
// (its module, cursor and new IDs) to <state>.journal; the whole file is
// rewritten (compacted) only when it is synced: at the run's first write,
// once a second (durableEvery), at the run's end, and when the journal
// outgrows journalMax.
//
// The journal's first line names the snapshot it extends:
//
//	{"journal":"<id>","owner":{...}}
//
// where id is a random name the snapshot carries in its "journal" member,
// new at every compaction, and owner is present when the records are
// pending (Begin with an owner). Then one line per commit:
//
//	{"m":"<module>","c":<cursor or null>,"t":"<time>","ids":["..."]}
//
// Open applies the records only when the header names the snapshot it
// loaded: a journal left by a crash between a compaction's rename and the
// journal's truncation, or one beside a previous copy the store fell back
// to, is ignored, and the run replays from the snapshot (duplicates are
// filtered, nothing is skipped). It stops at the first line that is not a
// whole record: a kill in the middle of an append leaves a torn last line,
// which is the page in flight. Each record holds its module's whole cursor,
// not a change to it, so applying a record twice (the compaction that
// folded it in raced the append) changes nothing.

// journalMax bounds the journal between two compactions, so that Open
// never replays more than this; a compaction is due once an append would
// cross it.
const journalMax = 8 << 20

// journalSuffix names the journal beside the state file.
const journalSuffix = ".journal"

func (s *Store) journalName() string { return filepath.Base(s.path) + journalSuffix }

// newJournalID names the journal a snapshot starts; random rather than
// counted, so that a journal left by another release or a restored backup
// never matches.
func newJournalID() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}

// journalHeader is the journal's first line.
type journalHeader struct {
	Journal string `json:"journal"`
	Owner   *Owner `json:"owner,omitempty"`
}

// journalRecord is one commit.
type journalRecord struct {
	Module  string          `json:"m"`
	Cursor  json.RawMessage `json:"c"`
	Updated time.Time       `json:"t"`
	IDs     []string        `json:"ids"`
}

// appendRecordLocked encodes a commit of module (pending when staging)
// into the records not yet written; the caller holds mu.
func (s *Store) appendRecordLocked(module string, cursor json.RawMessage, updated time.Time, ids []idwindow.ID) {
	// Sized first, as a module's encoding in a snapshot is (encode).
	need := len(`{"m":"","c":null,"t":"","ids":[]}`+"\n") + len(module) + len(cursor) + len(time.RFC3339Nano)
	for _, id := range ids {
		need += len(id.String()) + 3
	}
	b := slices.Grow(s.jbuf, need)
	b = append(b, `{"m":`...)
	b = appendString(b, module)
	b = append(b, `,"c":`...)
	if cursor == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, cursor...)
	}
	b = append(b, `,"t":`...)
	b = appendTime(b, updated)
	b = append(b, `,"ids":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, id.String())
	}
	s.jbuf = append(b, "]}\n"...)
}

// appendJournal writes the records committed since the last write (the
// caller holds wmu). A failed or partial append leaves the journal to be
// restarted by the next write, which then compacts.
func (s *Store) appendJournal(records []byte) error {
	if _, err := s.jfile.Write(records); err != nil {
		s.jready = false
		return fmt.Errorf("appending to %s: %w", s.dir.Join(s.journalName()), err)
	}
	s.jsize += int64(len(records))
	s.junsynced = true
	if err := s.step("journal", s.jfile); err != nil {
		s.jready = false
		return err
	}
	return nil
}

// restartJournal empties the journal after a compaction wrote the snapshot
// named id, and writes its header (the caller holds wmu).
func (s *Store) restartJournal(id string, owner *Owner) error {
	s.jready, s.jsize, s.junsynced = false, 0, false
	name := s.journalName()
	if s.jfile == nil {
		f, err := s.dir.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
		if err != nil {
			return fmt.Errorf("opening the journal: %w", err)
		}
		s.jfile = f
	}
	if err := s.jfile.Truncate(0); err != nil {
		return fmt.Errorf("emptying %s: %w", s.dir.Join(name), err)
	}
	h, err := json.Marshal(journalHeader{Journal: id, Owner: owner})
	if err != nil {
		return fmt.Errorf("encoding the journal header: %w", err)
	}
	if _, err := s.jfile.Write(append(h, '\n')); err != nil {
		return fmt.Errorf("writing %s: %w", s.dir.Join(name), err)
	}
	if err := s.step("journal restarted", s.jfile); err != nil {
		return err
	}
	s.jsize, s.jready = int64(len(h)+1), true
	return nil
}

// replayJournal applies the journal's records to the snapshot just loaded,
// whose journal member is id (empty: a file written before journals, or
// none loaded). The records are the commits made after that snapshot was
// written; see the comment at the top of this file for what is skipped.
func (s *Store) replayJournal(id string) ([]Notice, error) {
	data, err := s.dir.ReadFile(s.journalName())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", s.path, err)
	}
	line, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok || id == "" {
		return nil, nil
	}
	var h journalHeader
	if err := json.Unmarshal(line, &h); err != nil || h.Journal != id {
		return nil, nil
	}
	if h.Owner != nil {
		o := *h.Owner
		s.pendOwner = &o
	}
	var ids []idwindow.ID
	for n := 1; len(rest) > 0; n++ {
		line, next, whole := bytes.Cut(rest, []byte("\n"))
		if !whole {
			// The append in flight when the process died: its page was
			// delivered but not committed, and is collected again.
			return nil, nil
		}
		var r journalRecord
		if err := json.Unmarshal(line, &r); err != nil || r.Module == "" || (len(r.Cursor) > 0 && !json.Valid(r.Cursor)) {
			return []Notice{{"warning", fmt.Sprintf(
				"state journal %s is damaged at record %d; resumed from the records before it (later pages are collected again, duplicates are filtered)",
				s.dir.Join(s.journalName()), n)}}, nil
		}
		ids = ids[:0]
		for _, id := range r.IDs {
			ids = append(ids, idwindow.Of(id))
		}
		s.applyLocked(r.Module, r.Cursor, ids, r.Updated, h.Owner != nil)
		if r.Updated.After(s.updated) {
			s.updated = r.Updated
		}
		// Written but never synced: Sync must compact them.
		s.junsynced = true
		rest = next
	}
	return nil, nil
}
