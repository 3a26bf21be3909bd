package webrtcep

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

// dataChannels are the SCTP data channels of an endpoint with
// useDataChannels. Messages received on any channel leave through the DATA
// source pad; messages reaching the DATA sink pad are sent on the channel
// with the same label, or on the first open one.
type dataChannels struct {
	w *Endpoint

	mu       sync.Mutex // guards channels, pc
	pc       *webrtc.PeerConnection
	channels []*dataChannel
	opened   atomic.Int64
	closed   atomic.Int64
}

type dataChannel struct {
	dc                *webrtc.DataChannel
	msgsIn, msgsOut   atomic.Int64
	bytesIn, bytesOut atomic.Int64
}

func (d *dataChannels) init(w *Endpoint) { d.w = w }

func (d *dataChannels) watch(pc *webrtc.PeerConnection) {
	d.mu.Lock()
	d.pc = pc
	d.mu.Unlock()
	pc.OnDataChannel(d.register)
}

func (d *dataChannels) register(dc *webrtc.DataChannel) {
	ch := &dataChannel{dc: dc}
	d.mu.Lock()
	d.channels = append(d.channels, ch)
	d.mu.Unlock()
	w := d.w
	dc.OnOpen(func() {
		d.opened.Add(1)
		if id := dc.ID(); id != nil {
			w.core.Emit(DataChannelOpened{ChannelID: int(*id)})
		}
	})
	dc.OnClose(func() {
		d.closed.Add(1)
		if id := dc.ID(); id != nil {
			w.core.Emit(DataChannelClosed{ChannelID: int(*id)})
		}
	})
	src := w.core.Source(media.Data)
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		ch.msgsIn.Add(1)
		ch.bytesIn.Add(int64(len(m.Data)))
		src.Push(&media.Packet{Payload: m.Data, DataLabel: dc.Label(), DataText: m.IsString, EnteredAt: w.core.Pipeline().EntryTime()})
	})
}

// send delivers a DATA packet to the remote peer.
func (d *dataChannels) send(pkt *media.Packet) {
	d.mu.Lock()
	var target *dataChannel
	for _, ch := range d.channels {
		if ch.dc.ReadyState() != webrtc.DataChannelStateOpen {
			continue
		}
		if ch.dc.Label() == pkt.DataLabel {
			target = ch
			break
		}
		if target == nil {
			target = ch
		}
	}
	d.mu.Unlock()
	if target == nil {
		return
	}
	var err error
	if pkt.DataText {
		err = target.dc.SendText(string(pkt.Payload))
	} else {
		err = target.dc.Send(pkt.Payload)
	}
	if err == nil {
		target.msgsOut.Add(1)
		target.bytesOut.Add(int64(len(pkt.Payload)))
	}
}

// DataChannelOptions are the parameters of CreateDataChannel (the usual
// choice: ordered, no lifetime or retransmit limit).
type DataChannelOptions struct {
	Label             string
	Ordered           bool
	MaxPacketLifeTime int // ms, -1 = unset
	MaxRetransmits    int // -1 = unset
	Protocol          string
}

// CreateDataChannel opens a data channel towards the remote peer.
func (w *Endpoint) CreateDataChannel(o DataChannelOptions) error {
	if !w.opts.UseDataChannels {
		return ErrDataChannelsDisabled
	}
	if o.MaxPacketLifeTime >= 0 && o.MaxRetransmits >= 0 {
		return errors.New("maxPacketLifeTime and maxRetransmits cannot both be set")
	}
	w.dc.mu.Lock()
	pc := w.dc.pc
	w.dc.mu.Unlock()
	if pc == nil {
		return errors.New("the endpoint has not negotiated yet")
	}
	init := &webrtc.DataChannelInit{Ordered: &o.Ordered, Protocol: &o.Protocol}
	if o.MaxPacketLifeTime >= 0 {
		v := uint16(o.MaxPacketLifeTime)
		init.MaxPacketLifeTime = &v
	}
	if o.MaxRetransmits >= 0 {
		v := uint16(o.MaxRetransmits)
		init.MaxRetransmits = &v
	}
	dc, err := pc.CreateDataChannel(o.Label, init)
	if err != nil {
		return err
	}
	w.dc.register(dc)
	return nil
}

// CloseDataChannel closes the channel with the given id.
func (w *Endpoint) CloseDataChannel(id int) error {
	if !w.opts.UseDataChannels {
		return ErrDataChannelsDisabled
	}
	w.dc.mu.Lock()
	defer w.dc.mu.Unlock()
	for _, ch := range w.dc.channels {
		if cid := ch.dc.ID(); cid != nil && int(*cid) == id {
			return ch.dc.Close()
		}
	}
	return errors.New("no data channel with that id")
}

// DataStats are the data-channel statistics of an endpoint.
type DataStats struct {
	Opened, Closed int64
	Channels       []DataChannelStats
}

// DataChannelStats describe one channel.
type DataChannelStats struct {
	ID                              string
	Label, Protocol, State          string
	ChannelID                       int64
	MessagesSent, BytesSent         int64
	MessagesReceived, BytesReceived int64
}

func (d *dataChannels) stats(ids *statsIDs) DataStats {
	out := DataStats{Opened: d.opened.Load(), Closed: d.closed.Load()}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range d.channels {
		var id int64 = -1
		if cid := ch.dc.ID(); cid != nil {
			id = int64(*cid)
		}
		out.Channels = append(out.Channels, DataChannelStats{ID: ids.get(uint32(1<<31) + uint32(id)), Label: ch.dc.Label(),
			Protocol: ch.dc.Protocol(), State: ch.dc.ReadyState().String(), ChannelID: id,
			MessagesSent: ch.msgsOut.Load(), BytesSent: ch.bytesOut.Load(), MessagesReceived: ch.msgsIn.Load(), BytesReceived: ch.bytesIn.Load()})
	}
	return out
}
