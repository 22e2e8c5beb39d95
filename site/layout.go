package site

import (
	"cmp"
	"fmt"
	"slices"
)

// Sizes of the picture, in SVG user units (CSS pixels). Labels are set
// in a 12px monospace font, whose advance is about 7.2px a character; the
// layout reserves 7.5 so that no label overflows its box.
const (
	rowHeight  = 34
	nodeHeight = 24
	margin     = 12
	headHeight = 28 // the column titles
	columnGap  = 96
	labelPad   = 10
	minWidth   = 80
	reactGap   = 18 // from the event boxes to the nearest reaction's bend
)

// columnTitles head the three columns of every picture.
var columnTitles = [3]string{"publisher", "event", "consumer"}

// picture is a laid-out graph, as the graph template draws it.
type picture struct {
	Width, Height int
	Titles        []pictureText
	Nodes         []pictureNode
	Edges         []pictureEdge
	Reactions     []pictureReaction
}

// pictureText is a column title at its place.
type pictureText struct {
	X, Y  int
	Label string
}

// pictureNode is a box at its place: a link to its page.
type pictureNode struct {
	X, Y, W, H   int
	TextX, TextY int
	Label, Href  string
	Class        string // "node service", "node event", plus " current" for the page's own
	id           string
}

// pictureEdge is an arrow: a cubic Bézier path from the right side of one
// box to the left side of the next column's.
type pictureEdge struct{ D string }

// pictureReaction is a declared reaction: an arrow from the right side of
// the event handled, bending out into a lane of its own between the event
// and consumer columns, back to the right side of the event published,
// with the reacting service's name at the bend.
type pictureReaction struct {
	D              string
	LabelX, LabelY int
	By, Title      string
}

// layout places g's nodes: each column's boxes in its order, one row
// apart; the outer columns' boxes level with the middle of the events
// they join (pushed down where two would overlap), so that a producer
// stands beside its events. current is the page's file: the nodes
// linking to it are marked.
func layout(g graph, current string) picture {
	var pic picture
	ys := map[string]int{}
	var xs [3]int
	var widths [3]int
	for i, n := range g.columns[1] {
		ys[n.id] = margin + headHeight + i*rowHeight
	}
	lanes, laneWidth := reactionLanes(g.reactions, ys)
	x := margin
	for col, nodes := range g.columns {
		xs[col], widths[col] = x, columnWidth(nodes)
		x += widths[col] + columnGap
		if col == 1 {
			x += lanes.count * laneWidth
		}
	}
	pic.Width = x - columnGap + margin
	for _, col := range []int{0, 2} {
		placeBeside(&g, col, ys)
	}
	bottom := 0
	for col, nodes := range g.columns {
		if len(nodes) > 0 {
			pic.Titles = append(pic.Titles, pictureText{X: xs[col], Y: margin + headHeight/2, Label: columnTitles[col]})
		}
		for _, n := range nodes {
			pic.Nodes = append(pic.Nodes, box(n, xs[col], ys[n.id], widths[col], current))
			bottom = max(bottom, ys[n.id]+nodeHeight)
		}
	}
	pic.Height = bottom + margin
	placed := map[string]pictureNode{}
	for _, n := range pic.Nodes {
		placed[n.id] = n
	}
	for _, e := range g.edges {
		pic.Edges = append(pic.Edges, arrow(placed[e.from], placed[e.to]))
	}
	for i, r := range g.reactions {
		bend := reactGap + lanes.of[i]*laneWidth
		pic.Reactions = append(pic.Reactions, loop(r, placed[r.from], placed[r.to], bend))
	}
	return pic
}

// placeBeside orders the nodes of an outer column by the mean height of
// the middle nodes each is joined to (ties in the graph's order), which
// keeps arrows from crossing, and places each there or, where it would
// overlap the one before, just below.
func placeBeside(g *graph, col int, ys map[string]int) {
	mean := map[string]int{}
	for i, n := range g.columns[col] {
		sum, count := 0, 0
		for _, e := range g.edges {
			switch n.id {
			case e.from:
				sum, count = sum+ys[e.to], count+1
			case e.to:
				sum, count = sum+ys[e.from], count+1
			}
		}
		mean[n.id] = margin + headHeight + i*rowHeight
		if count > 0 {
			mean[n.id] = sum / count
		}
	}
	nodes := slices.Clone(g.columns[col])
	slices.SortStableFunc(nodes, func(a, b graphNode) int { return cmp.Compare(mean[a.id], mean[b.id]) })
	g.columns[col] = nodes
	prev := margin + headHeight - rowHeight
	for _, n := range nodes {
		y := max(prev+rowHeight, mean[n.id])
		ys[n.id], prev = y, y
	}
}

// columnWidth fits the longest label of a column.
func columnWidth(nodes []graphNode) int {
	w := minWidth
	for _, n := range nodes {
		w = max(w, len(n.label)*15/2+2*labelPad)
	}
	return w
}

func box(n graphNode, x, y, w int, current string) pictureNode {
	class := "node " + n.kind
	if n.href == current {
		class += " current"
	}
	return pictureNode{X: x, Y: y, W: w, H: nodeHeight, TextX: x + labelPad, TextY: y + nodeHeight/2 + 4,
		Label: n.label, Href: n.href, Class: class, id: n.id}
}

// arrow joins two placed boxes.
func arrow(from, to pictureNode) pictureEdge {
	x1, y1 := from.X+from.W, from.Y+from.H/2
	x2, y2 := to.X, to.Y+to.H/2
	mid := (x1 + x2) / 2
	return pictureEdge{D: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2, y2)}
}

// lanes says which lane each reaction of a graph takes, by index, and
// how many there are.
type lanes struct {
	of    []int
	count int
}

// reactionLanes gives each reaction a lane, the shortest first and each
// in the first lane where it overlaps no other, so that a reaction's bend
// and label stand clear of the others' and shorter loops nest inside
// longer ones. A lane is as wide as the longest service name on a
// reaction.
func reactionLanes(rs []graphReaction, ys map[string]int) (lanes, int) {
	l := lanes{of: make([]int, len(rs))}
	span := func(r graphReaction) (int, int) {
		a, b := ys[r.from], ys[r.to]
		return min(a, b), max(a, b)
	}
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		la, ha := span(rs[a])
		lb, hb := span(rs[b])
		return cmp.Compare(ha-la, hb-lb)
	})
	var taken [][][2]int // per lane, the spans in it
	width := 0
	for _, i := range order {
		lo, hi := span(rs[i])
		width = max(width, len(rs[i].by)*15/2+labelPad)
		lane := 0
		for ; lane < len(taken); lane++ {
			if !slices.ContainsFunc(taken[lane], func(s [2]int) bool { return lo <= s[1] && s[0] <= hi }) {
				break
			}
		}
		if lane == len(taken) {
			taken = append(taken, nil)
		}
		taken[lane] = append(taken[lane], [2]int{lo, hi})
		l.of[i] = lane
	}
	l.count = len(taken)
	return l, width
}

// loop draws a reaction between two placed event boxes, its bend bend
// units right of their right side: a cubic Bézier whose control points
// are 4/3 of that out, as a cubic's furthest point is 3/4 of its control
// points' offset.
func loop(r graphReaction, from, to pictureNode, bend int) pictureReaction {
	x, y1, y2 := from.X+from.W, from.Y+from.H/2, to.Y+to.H/2
	c := x + bend*4/3
	return pictureReaction{
		D:      fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x, y1, c, y1, c, y2, x, y2),
		LabelX: x + bend + 4, LabelY: (y1+y2)/2 + 4,
		By:    r.by,
		Title: r.by + " publishes " + to.Label + " when it handles " + from.Label,
	}
}
