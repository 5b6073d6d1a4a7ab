package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// statusSummary reads the collector's status API and says how many models are in each state,
// which shows that the page is still up when the demo ends.
func statusSummary(ctx context.Context, pageURL string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL+"api/v1/models", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("the status API: %w", err)
	}
	defer func() { _ = resp.Body.Close() }() // read in full below
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the status API answered %s", resp.Status)
	}
	var page struct {
		Total  int            `json:"total"`
		Counts map[string]int `json:"counts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return "", fmt.Errorf("the status API: %w", err)
	}
	return describeCounts(page.Total, page.Counts), nil
}

// describeCounts says "4 models: 3 cooldown, 1 ok", the states most in need of a look first.
func describeCounts(total int, counts map[string]int) string {
	order := []string{"pending", "cooldown", "silenced", "insufficient_data", "ok"}
	var parts []string
	for _, s := range order {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(s, "_", " ")))
		}
	}
	var other []string
	for s, n := range counts {
		if n > 0 && !slices.Contains(order, s) {
			other = append(other, fmt.Sprintf("%d %s", n, s))
		}
	}
	slices.Sort(other)
	parts = append(parts, other...)
	noun := "models"
	if total == 1 {
		noun = "model"
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s", total, noun)
	}
	return fmt.Sprintf("%d %s: %s", total, noun, strings.Join(parts, ", "))
}
