package media

import "testing"

func TestGoroutines(t *testing.T) {
	g := NewGoroutines()
	release := make(chan struct{})
	ran := make(chan struct{}, 2)
	if !g.Go(func() { <-release; ran <- struct{}{} }) {
		t.Fatal("Go refused before Stop")
	}
	if !g.Enter() {
		t.Fatal("Enter refused before Stop")
	}
	g.Stop()
	g.Stop() // idempotent
	select {
	case <-g.Done():
	default:
		t.Fatal("Done not closed by Stop")
	}
	if g.Go(func() { ran <- struct{}{} }) || g.Enter() {
		t.Fatal("a goroutine started after Stop")
	}
	g.Leave()
	close(release)
	g.Wait()
	if len(ran) != 1 {
		t.Fatalf("%d goroutines ran, want 1", len(ran))
	}
}
