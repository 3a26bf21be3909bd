package kms

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// usedCPU measures the machine's CPU usage in percent over interval from
// /proc/stat, as KMS's getUsedCpu does.
func usedCPU(interval time.Duration) (float64, error) {
	busy0, total0, err := readCPUTimes()
	if err != nil {
		return 0, kurentoError(40003, "cannot read CPU usage: %v", err)
	}
	time.Sleep(interval)
	busy1, total1, err := readCPUTimes()
	if err != nil {
		return 0, kurentoError(40003, "cannot read CPU usage: %v", err)
	}
	if total1 <= total0 {
		return 0, nil
	}
	return 100 * float64(busy1-busy0) / float64(total1-total0), nil
}

func readCPUTimes() (busy, total uint64, err error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || fields[0] != "cpu" {
			continue
		}
		for i, v := range fields[1:] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, 0, err
			}
			total += n
			if i != 3 && i != 4 { // idle and iowait
				busy += n
			}
		}
		return busy, total, nil
	}
	return 0, 0, fmt.Errorf("no cpu line in /proc/stat")
}

// usedMemoryKiB returns the resident memory of this process in KiB.
func usedMemoryKiB() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, kurentoError(40003, "cannot read memory usage: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(v)
			if len(fields) > 0 {
				return strconv.ParseInt(fields[0], 10, 64)
			}
		}
	}
	return 0, kurentoError(40003, "no VmRSS in /proc/self/status")
}
