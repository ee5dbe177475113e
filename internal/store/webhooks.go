package store

import "time"

// The events a webhook may subscribe to: a run of the app ended.
const (
	EventRunSucceeded = "run.succeeded"
	EventRunFailed    = "run.failed"
)

// WebhookEvents are the events there are, in the order they are listed.
var WebhookEvents = []string{EventRunSucceeded, EventRunFailed}

// RunEvent is the event of a run's final state, "" for none (canceled).
func RunEvent(st RunState) string {
	switch st {
	case RunSucceeded:
		return EventRunSucceeded
	case RunFailed:
		return EventRunFailed
	}
	return ""
}

// Webhook is a URL an app's events are delivered to. Secret signs the
// deliveries, so the store keeps it as given (the API shows it once).
type Webhook struct {
	ID        string
	AppID     string
	URL       string
	Events    []string // of WebhookEvents, none twice
	Secret    string
	CreatedAt time.Time
}

// DeliveryState is where a delivery is: pending until delivered (a 2xx
// answer) or failed (every attempt spent). The last two are final.
type DeliveryState string

// The states of a delivery.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
)

// Delivery is one event to one webhook, kept in the store's outbox. The
// store writes it with the run's final state (FinishRun), in the same
// transaction; workers claim it with a lease (ClaimDeliveries) and record
// each attempt (RecordAttempt).
type Delivery struct {
	ID        string // also the receiver's idempotency key
	WebhookID string
	AppID     string
	RunID     string
	Event     string
	State     DeliveryState
	Attempts  int
	// NextAttemptAt is when a pending delivery is due.
	NextAttemptAt time.Time
	// LeaseOwner holds a claimed delivery until LeaseUntil.
	LeaseOwner string
	LeaseUntil time.Time
	// LastStatus is the HTTP status of the last attempt (0: none, or no
	// answer); LastError why it did not succeed.
	LastStatus int
	LastError  string
	// Payload is the body sent, fixed at the first attempt; nil before.
	Payload    []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time // zero until delivered or failed
}

// Attempt is how an attempt of a claimed delivery ended, for
// RecordAttempt.
type Attempt struct {
	DeliveryID, LeaseOwner string
	// State is pending (to try again at NextAttemptAt), delivered or
	// failed.
	State         DeliveryState
	NextAttemptAt time.Time
	Status        int
	Error         string
	// Payload is kept if the delivery has none yet.
	Payload []byte
	At      time.Time
}

// DeliveryPage selects a page of a webhook's deliveries, newest first
// (CreatedAt, then ID, descending).
type DeliveryPage struct {
	BeforeCreatedAt time.Time
	BeforeID        string // "" starts at the newest
	Limit           int
}
