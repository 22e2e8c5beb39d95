// Command amqpframes forwards AMQP 0-9-1 between clients and RabbitMQ and
// counts the frames the clients send, method frames by class.method (a
// basic.ack with the multiple flag apart); SIGUSR1 prints the counts and
// resets them. It answers which broker operations per event a consumer
// makes, which RabbitMQ's own statistics do not without the management
// plugin (docs/benchmarks.md):
//
//	go run ./bench/amqpframes 127.0.0.1:35991 127.0.0.1:5672 &
//	go run ./bench -amqp amqp://guest:guest@127.0.0.1:35991/ -cases consume-evgen-pg-concurrent -repeat 1
//	kill -USR1 %1
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
)

var (
	mu     sync.Mutex
	counts = map[string]int{}
	names  = map[[2]uint16]string{
		{10, 10}: "connection.start", {10, 11}: "connection.start-ok", {10, 31}: "connection.tune-ok", {10, 40}: "connection.open", {10, 50}: "connection.close", {10, 51}: "connection.close-ok",
		{20, 10}: "channel.open", {20, 40}: "channel.close", {20, 41}: "channel.close-ok", {20, 20}: "channel.flow",
		{40, 10}: "exchange.declare", {40, 20}: "exchange.delete", {40, 30}: "exchange.bind",
		{50, 10}: "queue.declare", {50, 20}: "queue.bind", {50, 30}: "queue.purge", {50, 40}: "queue.delete", {50, 50}: "queue.unbind",
		{60, 10}: "basic.qos", {60, 20}: "basic.consume", {60, 30}: "basic.cancel", {60, 40}: "basic.publish", {60, 70}: "basic.get", {60, 80}: "basic.ack", {60, 90}: "basic.reject", {60, 110}: "basic.recover", {60, 120}: "basic.nack",
		{85, 10}: "confirm.select", {90, 10}: "tx.select", {90, 20}: "tx.commit",
	}
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: amqpframes LISTEN-ADDR BROKER-ADDR")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "amqpframes:", err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		for range sig {
			mu.Lock()
			keys := make([]string, 0, len(counts))
			for k := range counts {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Printf("%-22s %d\n", k, counts[k])
			}
			fmt.Println("--")
			counts = map[string]int{}
			mu.Unlock()
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "amqpframes:", err)
			os.Exit(1)
		}
		go serve(c)
	}
}

// serve forwards one client connection, counting what the client sends.
func serve(c net.Conn) {
	s, err := net.Dial("tcp", os.Args[2])
	if err != nil {
		c.Close()
		return
	}
	go func() {
		_, _ = io.Copy(c, s) // the broker's side ends when either closes
		c.Close()
	}()
	count(io.TeeReader(c, s))
	s.Close()
}

// count parses the client's stream: an 8-byte protocol header, then
// frames (type, channel, size, payload, end byte).
func count(r io.Reader) {
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return
	}
	fh := make([]byte, 7)
	for {
		if _, err := io.ReadFull(r, fh); err != nil {
			return
		}
		size := binary.BigEndian.Uint32(fh[3:])
		body := make([]byte, size+1)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		key := fmt.Sprintf("frame-type-%d", fh[0])
		if fh[0] == 1 && size >= 4 {
			m := [2]uint16{binary.BigEndian.Uint16(body), binary.BigEndian.Uint16(body[2:])}
			key = names[m]
			if key == "" {
				key = fmt.Sprintf("%d.%d", m[0], m[1])
			}
			if key == "basic.ack" && size >= 13 && body[12]&1 == 1 {
				key = "basic.ack(multiple)"
			}
		}
		mu.Lock()
		counts[key]++
		mu.Unlock()
	}
}
