package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Outbox "sends" email by writing it as a .eml file into a folder, for
// setups without an SMTP server and for looking at what would be sent.
type Outbox struct {
	dir string
}

// NewOutbox uses dir, creating it if needed.
func NewOutbox(dir string) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("notify: outbox: dir is empty")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("notify: outbox: %w", err)
	}
	return &Outbox{dir: dir}, nil
}

// Dir is the folder the outbox writes to.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m as the same MIME message SMTP would send. It writes a temp
// file in the folder and renames it into place, so a reader never sees half
// a message. The file name depends only on the message (see FileName), so a
// retry overwrites the same file instead of adding a copy.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelEmail || m.Email == nil {
		return Permanent(fmt.Errorf("notify: outbox: cannot write a %q message", m.Channel))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	msg, err := buildMail(m.Email)
	if err != nil {
		return err
	}
	name := FileName(m.Email)
	tmp, err := os.CreateTemp(o.dir, ".outbox-*.tmp") // not *.eml: a crash must not leave a half message that looks whole
	if err != nil {
		return fmt.Errorf("notify: outbox %s: %w", name, err)
	}
	tmpName := tmp.Name()
	defer func() { _ = os.Remove(tmpName) }() // no-op after the rename
	if _, err := msg.WriteTo(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("notify: outbox %s: write: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("notify: outbox %s: sync: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("notify: outbox %s: close: %w", name, err)
	}
	if err := os.Rename(tmpName, filepath.Join(o.dir, name)); err != nil {
		return fmt.Errorf("notify: outbox %s: %w", name, err)
	}
	return nil
}

// FileName is the outbox file name for e:
// "<date>_<job-or-subject>_<short-id>.eml", e.g.
// "2026-11-23T1400Z_weekly-support_3f2a9c01de.eml". The job comes from a
// Message-ID made by MessageID, else the subject is used; the short id is a
// hash of the Message-ID, so the same message always gets the same name.
func FileName(e *EmailMessage) string {
	date := "undated"
	if !e.Date.IsZero() {
		date = e.Date.UTC().Format("2006-01-02T1504Z")
	}
	id := messageIDOf(e)
	label := e.Subject
	if i := strings.LastIndexByte(id, '@'); i > 0 {
		// job.stamp.hash@domain, as MessageID makes them.
		if parts := strings.Split(id[:i], "."); len(parts) == 3 && parts[0] != "msg" {
			label = parts[0]
		}
	}
	return date + "_" + slug(label, 48) + "_" + shortHash(id) + ".eml"
}
