package cli

import "github.com/segmentd/segmentd/internal/api"

// schedules is the API's ScheduleConfig from the flags.
func (c *Config) schedules() api.ScheduleConfig {
	lease := c.RunLease
	if lease <= 0 {
		lease = -1 // none
	}
	return api.ScheduleConfig{Lease: lease, Tick: c.ScheduleTick}
}
