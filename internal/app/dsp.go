package app

import (
	"context"
	"time"

	"dataport/internal/web/dsp"
)

// openDSP builds the exchange's Dataspace Protocol provider on its
// trading (its hook queues the callbacks of protocol negotiations and
// transfers); Serve mounts it under /dsp and sends the callbacks.
func (a *App) openDSP() {
	a.DSP = dsp.New(a.Trade, a.Exchange, a.Identity, a.DB, dsp.Config{PublicURL: a.Config.PublicURL,
		InsecureCallbacks: a.Config.DSPInsecureCallbacks, Log: a.Config.Log})
}

// startDSP sends callbacks until the returned stop is called (after the
// HTTP server has shut down, so that the changes of requests in flight
// are reported too); stop returns once the senders have.
func (a *App) startDSP() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	a.DSP.Start(ctx)
	return func() {
		cancel()
		a.DSP.Wait()
	}
}

// deliverCallbacks sends the protocol callbacks that are due: those whose
// next attempt has come and those another server queued and did not send
// (periodic work, every 10 seconds; jobs.go).
func (a *App) deliverCallbacks(ctx context.Context, now time.Time) error {
	_, err := a.DSP.Deliver(ctx, now)
	return err
}
