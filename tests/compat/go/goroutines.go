// goroutines: the Go runtime on the kernel: many goroutines over OS
// threads (futexes, signals for preemption, timers), unbuffered and
// buffered channels, select with default and timeouts, sync.WaitGroup and
// Mutex, time.Timer and time.Ticker (only counts and thresholds printed),
// and panic/recover. Deterministic output: results are gathered, then
// printed in a fixed order.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

func pipeline() {
	// An unbuffered chain of stages, each adding one.
	const stages = 50
	first := make(chan int)
	in := first
	for i := 0; i < stages; i++ {
		out := make(chan int)
		go func(in <-chan int, out chan<- int) {
			for v := range in {
				out <- v + 1
			}
			close(out)
		}(in, out)
		in = out
	}
	go func() {
		for i := 0; i < 100; i++ {
			first <- i
		}
		close(first)
	}()
	sum := 0
	for v := range in {
		sum += v
	}
	fmt.Printf("pipeline of %d stages: sum %d\n", stages, sum)
}

func workers() {
	jobs := make(chan int, 16)
	results := make(chan int, 16)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- j * j
			}
		}()
	}
	go func() {
		for i := 1; i <= 1000; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	total := 0
	for r := range results {
		total += r
	}
	fmt.Printf("worker pool: sum of squares 1..1000 = %d\n", total)
}

func mutexes() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	seen := map[int]bool{}
	for g := 0; g < 100; g++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			mu.Lock()
			seen[id] = true
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	fmt.Printf("100 goroutines x 1000 locked increments: %d, distinct goroutines %d\n", counter, len(seen))

	var once sync.Once
	runs := 0
	for i := 0; i < 10; i++ {
		once.Do(func() { runs++ })
	}
	fmt.Printf("sync.Once ran %d time(s)\n", runs)
}

func selects() {
	a := make(chan string)
	b := make(chan string)
	go func() { a <- "from a" }()
	go func() { b <- "from b" }()
	var got []string
	for i := 0; i < 2; i++ {
		select {
		case m := <-a:
			got = append(got, m)
		case m := <-b:
			got = append(got, m)
		}
	}
	sort.Strings(got)
	fmt.Printf("select received: %s\n", strings.Join(got, ", "))

	empty := make(chan int)
	select {
	case <-empty:
		fmt.Println("select default: received?")
	default:
		fmt.Println("select default: taken")
	}

	start := time.Now()
	select {
	case <-empty:
		fmt.Println("timeout select: received?")
	case <-time.After(20 * time.Millisecond):
		fmt.Printf("timeout select: timed out after >= 20 ms: %v\n", time.Since(start) >= 20*time.Millisecond)
	}

	buf := make(chan int, 3)
	buf <- 1
	buf <- 2
	fmt.Printf("buffered channel: len %d cap %d\n", len(buf), cap(buf))
	close(buf)
	v1, ok1 := <-buf
	v2, ok2 := <-buf
	v3, ok3 := <-buf
	fmt.Printf("drain closed channel: %d %v, %d %v, %d %v\n", v1, ok1, v2, ok2, v3, ok3)
}

func timers() {
	start := time.Now()
	t := time.NewTimer(15 * time.Millisecond)
	<-t.C
	fmt.Printf("timer fired after >= 15 ms: %v\n", time.Since(start) >= 15*time.Millisecond)

	t2 := time.NewTimer(time.Hour)
	fmt.Printf("stop a pending timer: %v\n", t2.Stop())

	// start before the ticker: its channel holds one tick, so a late start (a slow
	// vCPU under TCG) could find the first tick waiting and see the fifth sooner
	start = time.Now()
	ticker := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for range ticker.C {
		ticks++
		if ticks == 5 {
			break
		}
	}
	ticker.Stop()
	fmt.Printf("ticker: 5 ticks after >= 20 ms: %v\n", time.Since(start) >= 20*time.Millisecond)

	done := make(chan bool)
	time.AfterFunc(10*time.Millisecond, func() { done <- true })
	fmt.Printf("AfterFunc ran: %v\n", <-done)

	start = time.Now()
	time.Sleep(10 * time.Millisecond)
	fmt.Printf("sleep 10 ms took >= 10 ms: %v\n", time.Since(start) >= 10*time.Millisecond)
	mono1 := time.Now()
	mono2 := time.Now()
	fmt.Printf("monotonic clock does not go back: %v\n", !mono2.Before(mono1))
}

var errSentinel = errors.New("sentinel")

func mayPanic(kind int) (result string) {
	defer func() {
		if r := recover(); r != nil {
			result = fmt.Sprintf("recovered: %v", r)
		}
	}()
	switch kind {
	case 0:
		panic("plain string")
	case 1:
		var m map[string]int
		m["x"] = 1
	case 2:
		var s []int
		_ = s[5]
	case 3:
		panic(fmt.Errorf("wrapped: %w", errSentinel))
	case 4:
		var p *struct{ x int }
		return fmt.Sprint(p.x)
	}
	return "no panic"
}

func panics() {
	for k := 0; k <= 5; k++ {
		fmt.Printf("panic kind %d: %s\n", k, mayPanic(k))
	}
	// A panic in another goroutine, recovered there.
	res := make(chan string)
	go func() {
		defer func() { res <- fmt.Sprint("goroutine recovered: ", recover()) }()
		panic("in goroutine")
	}()
	fmt.Println(<-res)
}

func many() {
	var wg sync.WaitGroup
	results := make([]int, 10000)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.Gosched()
			results[i] = i % 7
		}(i)
	}
	wg.Wait()
	sum := 0
	for _, v := range results {
		sum += v
	}
	fmt.Printf("10000 goroutines: sum %d, GOMAXPROCS >= 1: %v\n", sum, runtime.GOMAXPROCS(0) >= 1)
}

func main() {
	pipeline()
	workers()
	mutexes()
	selects()
	timers()
	panics()
	many()
	fmt.Fprintln(os.Stderr, "goroutines: done")
	if len(os.Args) > 1 && os.Args[1] == "exit3" {
		os.Exit(3)
	}
}
