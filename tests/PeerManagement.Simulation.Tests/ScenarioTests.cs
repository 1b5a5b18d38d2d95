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
        var (_, figures) = await Simulator.RunAsync("--scenario", "sybil", "--nodes", $"{Nodes}", "--hours", "2", "--seed", "3");

        var last = figures.GetProperty("Hours").EnumerateArray().Last();
        last.GetProperty("MinGoodHonest").GetDouble().Should().BeLessThan(0.9, "the flood does reach the tables");
        last.GetProperty("MinAnswerHonest").GetDouble().Should().BeGreaterThanOrEqualTo(Nodes / (Nodes + 6.0),
            "an answer names at most 2 peers per /16 and the attacker's addresses are in 3 /16s");
    }

    [Fact]
    public async Task Without_the_bucket_rule_and_the_answer_limit_the_same_flood_takes_nine_tenths_of_every_answer()
    {
        var (_, figures) = await Simulator.RunAsync(
            "--scenario", "sybil", "--nodes", "30", "--hours", "2", "--seed", "5", "--off", "bucket-rule,answer-limit");

        var last = figures.GetProperty("Hours").EnumerateArray().Last();
        last.GetProperty("MinGoodHonest").GetDouble().Should().BeLessThan(0.2, "every name of the attacker's 50 addresses becomes good");
        last.GetProperty("MinAnswerHonest").GetDouble().Should().BeLessThan(0.2, "with the defences on the same run keeps over 80 %");
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
