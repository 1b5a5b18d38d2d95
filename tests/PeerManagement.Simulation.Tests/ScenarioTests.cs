using System.Text.Json;

namespace PeerManagement.Simulation.Tests;

/// <summary>The CI-sized scenarios of the simulator: what an honest network and an attacked one look like.</summary>
public class ScenarioTests
{
    [Fact]
    public async Task The_same_seed_gives_the_same_run_byte_for_byte()
    {
        var first = await Simulator.RunAsync("--scenario", "sybil", "--nodes", "30", "--hours", "2", "--seed", "5");
        var second = await Simulator.RunAsync("--scenario", "sybil", "--nodes", "30", "--hours", "2", "--seed", "5");

        second.Text.Should().Be(first.Text);
        first.Text.Should().Contain("scenario Sybil, 30 honest nodes, 2 h, seed 5");
    }

    [Fact]
    public async Task An_honest_network_converges_within_the_first_hour_with_every_node_knowing_every_other()
    {
        var (_, figures) = await Simulator.RunAsync("--scenario", "honest", "--nodes", "100", "--hours", "2", "--seed", "1");

        figures.GetProperty("ConvergedHour").GetInt32().Should().Be(1);
        foreach (var hour in figures.GetProperty("Hours").EnumerateArray())
        {
            hour.GetProperty("MinHonestGood").GetInt32().Should().BeGreaterThanOrEqualTo(99, "every node holds the other 99 as good");
            hour.GetProperty("MinAnswerHonest").GetDouble().Should().Be(1);
        }
    }

    [Fact]
    public async Task A_sybil_flood_on_three_16s_gets_at_most_two_entries_per_16_into_any_answer()
    {
        const int Nodes = 50;
        var (_, figures) = await Simulator.RunAsync("--scenario", "sybil", "--nodes", $"{Nodes}", "--hours", "3", "--seed", "3");

        // After the first re-check of good peers (StaleAfter × 0.8, 2.4 h): what each node heard in its first minutes
        // is then checked again, and what its peers learned since reaches it.
        var last = figures.GetProperty("Hours").EnumerateArray().Last();
        last.GetProperty("MinGoodHonest").GetDouble().Should().BeLessThan(0.9, "the flood does reach the tables");
        last.GetProperty("MinAnswerHonest").GetDouble().Should().BeGreaterThanOrEqualTo(Nodes / (Nodes + 6.0),
            "an answer names at most 2 peers per /16 and the attacker's addresses are in 3 /16s");
    }

    [Fact]
    public async Task Without_the_address_and_network_rules_and_the_answer_limit_the_same_flood_takes_nine_tenths_of_every_answer()
    {
        var (_, figures) = await Simulator.RunAsync(
            "--scenario", "sybil", "--nodes", "30", "--hours", "2", "--seed", "5", "--off", "bucket-rule,network-cap,answer-limit,budget-share");

        var last = figures.GetProperty("Hours").EnumerateArray().Last();
        last.GetProperty("MinGoodHonest").GetDouble().Should().BeLessThan(0.2, "every name of the attacker's 50 addresses becomes good");
        last.GetProperty("MinAnswerHonest").GetDouble().Should().BeLessThan(0.2, "with the defences on the same run keeps over 80 %");
    }

    [Fact]
    public async Task A_sybil_flood_against_a_thousand_nodes_leaves_nine_tenths_of_every_answer_honest_and_every_table_bounded()
    {
        // One hour: pull discovery (a good peer's list asked for every 10 minutes) undoes the first minutes' flood
        // long before the first re-check of good peers (2.4 h).
        var (_, figures) = await Simulator.RunAsync("--scenario", "sybil", "--nodes", "1000", "--hours", "1", "--seed", "1", "--max-peers", "100");

        var hour = figures.GetProperty("Hours").EnumerateArray().Last();
        hour.GetProperty("Nodes").GetInt32().Should().Be(1000);
        hour.GetProperty("MinAnswerHonest").GetDouble().Should().BeGreaterThanOrEqualTo(0.9, "the goal: nine tenths of every honest node's answer");
        hour.GetProperty("MaxTable").GetInt32().Should().BeLessThanOrEqualTo(100, "a table never outgrows MaxPeers, whatever the attacker announces");
        hour.GetProperty("MinHonestGood").GetInt32().Should().BeGreaterThanOrEqualTo(8);
    }

    [Fact]
    public async Task One_operator_behind_two_hundred_networks_takes_at_most_one_place_in_any_answer_and_few_in_any_table()
    {
        const int Nodes = 50;
        var (_, on) = await Simulator.RunAsync("--scenario", "operator", "--nodes", $"{Nodes}", "--hours", "3", "--seed", "6");
        var (_, off) = await Simulator.RunAsync(
            "--scenario", "operator", "--nodes", $"{Nodes}", "--hours", "3", "--seed", "6", "--off", "operator-cap,operator-limit");

        foreach (var hour in on.GetProperty("Hours").EnumerateArray())
        {
            hour.GetProperty("MaxAnswerAttacker").GetInt32().Should().BeLessThanOrEqualTo(1, "one key, one place in an answer");
            hour.GetProperty("MaxGoodAttacker").GetInt32().Should().BeLessThanOrEqualTo(8 + 4,
                "at most 8 good peers per key, exceeded only by the 4 checks a node runs at once");
            hour.GetProperty("MinHonestGood").GetInt32().Should().BeGreaterThanOrEqualTo(8,
                "pull discovery reaches the honest network even from the first node, which has no seed and hears only the attacker's announcements");
        }

        on.GetProperty("Hours").EnumerateArray().Last().GetProperty("MinAnswerHonest").GetDouble().Should().BeGreaterThanOrEqualTo(0.9);

        var undefended = off.GetProperty("Hours").EnumerateArray().Last();
        undefended.GetProperty("MaxAnswerAttacker").GetInt32().Should().BeGreaterThan(20, "each of its 200 networks could get 2 places");
        undefended.GetProperty("MaxGoodAttacker").GetInt32().Should().BeGreaterThan(100);
    }

    [Fact]
    public async Task The_victim_of_an_eclipse_attempt_keeps_every_honest_peer()
    {
        var (_, figures) = await Simulator.RunAsync("--scenario", "eclipse", "--nodes", "30", "--hours", "2", "--seed", "2");

        foreach (var hour in figures.GetProperty("Hours").EnumerateArray())
        {
            hour.GetProperty("VictimHonestGood").GetInt32().Should().BeGreaterThanOrEqualTo(8);
        }
    }

    [Fact]
    public async Task A_node_that_left_drops_out_of_every_answer_within_the_stale_time()
    {
        var (_, figures) = await Simulator.RunAsync("--scenario", "churn", "--nodes", "40", "--hours", "6", "--seed", "4");

        var dead = figures.GetProperty("DeadInAnswersHours").EnumerateArray().Select(e => e.GetInt32()).ToList();
        dead.Should().NotBeEmpty("10 % of the nodes leave every hour");
        dead.Should().OnlyContain(h => h <= 3, "an answer names peers verified within StaleAfter (3 h)");
        figures.GetProperty("Hours").EnumerateArray().Should().OnlyContain(h => h.GetProperty("MinHonestGood").GetInt32() >= 8);
    }
}
