package dsp

import (
	"context"
	"net/http"

	"dataport/internal/exchange/trade"
)

// transferAck is a transfer's state, the answer of its endpoints.
func transferAck(t trade.Transfer) TransferProcess {
	return TransferProcess{head: newHead("TransferProcess"), pids: pids{ProviderPID: t.ID, ConsumerPID: t.ConsumerPID}, State: string(t.State)}
}

// requestTransfer starts a transfer under a finalized agreement from a
// consumer's TransferRequestMessage: 201 with the transfer. HttpData-PULL
// is the one format: the transfer starts at once and the
// TransferStartMessage to the callback carries the data address.
func (h *Handler) requestTransfer(w http.ResponseWriter, r *http.Request) {
	c, r, err := h.authenticate(r)
	if err != nil {
		h.fail(w, r, areaTransfer, pids{}, false, err)
		return
	}
	var m TransferRequestMessage
	if err := decode(r, SchemaTransferRequest, &m); err != nil {
		h.fail(w, r, areaTransfer, pids{ConsumerPID: m.ConsumerPID}, false, err)
		return
	}
	t, err := h.startTransfer(r.Context(), c, m)
	if err != nil {
		h.fail(w, r, areaTransfer, pids{ConsumerPID: m.ConsumerPID}, false, err)
		return
	}
	h.reply(w, r, http.StatusCreated, SchemaTransferProcess, transferAck(t))
}

func (h *Handler) startTransfer(ctx context.Context, c caller, m TransferRequestMessage) (trade.Transfer, error) {
	if m.Format != trade.FormatHTTPPull {
		return trade.Transfer{}, badRequest("format", "format %q is not supported: the provider serves %s", m.Format, trade.FormatHTTPPull)
	}
	if m.DataAddress != nil {
		return trade.Transfer{}, badRequest("data_address", "a pull transfer takes no dataAddress from the consumer")
	}
	if err := h.checkCallback(m.CallbackAddress); err != nil {
		return trade.Transfer{}, err
	}
	contract, err := h.tr.Contract(ctx, c.p, m.AgreementID)
	if isNotFound(err) || (err == nil && !c.owns(contract.BuyerOrgID)) {
		return trade.Transfer{}, badRequest("unknown_agreement", "agreement %q is not one of yours", m.AgreementID)
	} else if err != nil {
		return trade.Transfer{}, err
	}
	return h.tr.RequestTransfer(ctx, c.p, trade.TransferInput{ContractID: contract.ID, ConsumerPID: m.ConsumerPID,
		Format: m.Format, CallbackAddress: m.CallbackAddress})
}

// transfer loads the transfer of the path's providerPid for the caller:
// one of its buyer participants' transfers, or errUnknownProcess.
func (h *Handler) transfer(ctx context.Context, c caller, pid string) (trade.Transfer, error) {
	t, err := h.tr.Transfer(ctx, c.p, pid)
	if isNotFound(err) || (err == nil && !c.owns(t.BuyerOrgID)) {
		return t, errUnknownProcess
	}
	return t, err
}

// getTransfer answers GET /transfers/{providerPid}.
func (h *Handler) getTransfer(w http.ResponseWriter, r *http.Request) {
	pid := r.PathValue("pid")
	c, r, err := h.authenticate(r)
	if err == nil {
		var t trade.Transfer
		if t, err = h.transfer(r.Context(), c, pid); err == nil {
			h.reply(w, r, http.StatusOK, SchemaTransferProcess, transferAck(t))
			return
		}
	}
	h.fail(w, r, areaTransfer, pids{ProviderPID: pid}, true, err)
}

// transferStep is a consumer's message about an existing transfer, as
// negotiationStep is for negotiations.
func (h *Handler) transferStep(w http.ResponseWriter, r *http.Request, s Schema, msg interface{ ids() pids },
	step func(ctx context.Context, c caller, t trade.Transfer) (trade.Transfer, error)) {
	pid := r.PathValue("pid")
	ids := pids{ProviderPID: pid}
	c, r, err := h.authenticate(r)
	if err == nil {
		err = decode(r, s, msg)
	}
	var t trade.Transfer
	if err == nil {
		ids.ConsumerPID = msg.ids().ConsumerPID
		t, err = h.transfer(r.Context(), c, pid)
	}
	if err == nil {
		err = samePIDs(msg.ids(), t.ID, t.ConsumerPID)
	}
	if err == nil {
		t, err = step(r.Context(), c, t)
	}
	if err != nil {
		h.fail(w, r, areaTransfer, ids, true, err)
		return
	}
	h.reply(w, r, http.StatusOK, SchemaTransferProcess, transferAck(t))
}

// restartTransfer takes the consumer's TransferStartMessage, which restarts
// a suspended transfer; the provider answers with a TransferStartMessage
// carrying a fresh data address.
func (h *Handler) restartTransfer(w http.ResponseWriter, r *http.Request) {
	var m TransferStartMessage
	h.transferStep(w, r, SchemaTransferStart, &m, func(ctx context.Context, c caller, t trade.Transfer) (trade.Transfer, error) {
		if m.DataAddress != nil {
			return t, badRequest("data_address", "a pull transfer takes no dataAddress from the consumer")
		}
		return h.tr.ResumeTransfer(ctx, c.p, t.ID)
	})
}

// completeTransfer takes the consumer's completion.
func (h *Handler) completeTransfer(w http.ResponseWriter, r *http.Request) {
	var m TransferCompletionMessage
	h.transferStep(w, r, SchemaTransferCompletion, &m, func(ctx context.Context, c caller, t trade.Transfer) (trade.Transfer, error) {
		return h.tr.CompleteTransfer(byConsumer(ctx, t.ID, trade.Completed), c.p, t.ID)
	})
}

// suspendTransfer takes the consumer's suspension.
func (h *Handler) suspendTransfer(w http.ResponseWriter, r *http.Request) {
	var m TransferCodeMessage
	h.transferStep(w, r, SchemaTransferSuspension, &m, func(ctx context.Context, c caller, t trade.Transfer) (trade.Transfer, error) {
		return h.tr.SuspendTransfer(byConsumer(ctx, t.ID, trade.Suspended), c.p, t.ID, m.Code, reasonText(m.Reason))
	})
}

// terminateTransfer takes the consumer's termination.
func (h *Handler) terminateTransfer(w http.ResponseWriter, r *http.Request) {
	var m TransferCodeMessage
	h.transferStep(w, r, SchemaTransferTermination, &m, func(ctx context.Context, c caller, t trade.Transfer) (trade.Transfer, error) {
		return h.tr.TerminateTransfer(byConsumer(ctx, t.ID, trade.Terminated), c.p, t.ID, m.Code, reasonText(m.Reason))
	})
}
