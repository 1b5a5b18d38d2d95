using System.Net;

namespace PeerManagement.Tests.Rpc;

public class ListenerAdmissionTests
{
    private static IPEndPoint At(string address) => new(IPAddress.Parse(address), 50001);

    [Fact]
    public void Addresses_of_one_IPv6_64_count_as_one_address()
    {
        var admission = new ListenerAdmission(maxSessions: 100, maxPerAddress: 2, maxPerNetwork: 100);

        admission.TryAdmit(At("2001:db8:1:2::1"), 0, out _, out _).Should().Be(ListenerAdmission.Outcome.Admitted);
        admission.TryAdmit(At("2001:db8:1:2::ffff"), 0, out _, out _).Should().Be(ListenerAdmission.Outcome.Admitted);

        admission.TryAdmit(At("2001:db8:1:2:abcd::9"), 0, out _, out _).Should().Be(ListenerAdmission.Outcome.AddressFull);
        admission.TryAdmit(At("2001:db8:1:3::1"), 0, out _, out _).Should().Be(ListenerAdmission.Outcome.Admitted);
    }

    [Fact]
    public void A_network_holds_at_most_its_share_across_its_addresses()
    {
        var admission = new ListenerAdmission(maxSessions: 100, maxPerAddress: 10, maxPerNetwork: 3);
        for (var i = 1; i <= 3; i++)
        {
            admission.TryAdmit(At($"198.51.100.{i}"), 0, out _, out _).Should().Be(ListenerAdmission.Outcome.Admitted);
        }

        admission.TryAdmit(At("198.51.100.200"), 0, out _, out _).Should().Be(ListenerAdmission.Outcome.NetworkFull);
        admission.TryAdmit(At("198.51.101.1"), 0, out _, out _).Should().Be(ListenerAdmission.Outcome.Admitted);
    }

    [Fact]
    public void When_full_a_newcomer_takes_the_place_of_the_longest_idle_session_of_the_greediest_network()
    {
        var admission = new ListenerAdmission(maxSessions: 4, maxPerAddress: 10, maxPerNetwork: 10);
        admission.TryAdmit(At("203.0.113.1"), 5, out _, out _);
        admission.TryAdmit(At("203.0.113.2"), 1, out var oldest, out _);
        admission.TryAdmit(At("203.0.113.3"), 3, out _, out _);
        admission.TryAdmit(At("192.0.2.1"), 0, out _, out _);

        admission.TryAdmit(At("198.51.100.1"), 10, out _, out var evicted).Should().Be(ListenerAdmission.Outcome.Admitted);

        evicted.Should().BeSameAs(oldest, "it idled longest in the network holding the most sessions");
        admission.Count.Should().Be(4);
    }

    [Fact]
    public void When_full_a_newcomer_from_the_greediest_source_itself_is_refused()
    {
        var admission = new ListenerAdmission(maxSessions: 2, maxPerAddress: 10, maxPerNetwork: 10);
        admission.TryAdmit(At("203.0.113.1"), 0, out _, out _);
        admission.TryAdmit(At("203.0.113.1"), 0, out _, out _);

        admission.TryAdmit(At("203.0.113.1"), 1, out _, out var evicted).Should().Be(ListenerAdmission.Outcome.ListenerFull);

        evicted.Should().BeNull();
    }

    [Fact]
    public void A_removed_session_frees_its_counts()
    {
        var admission = new ListenerAdmission(maxSessions: 10, maxPerAddress: 1, maxPerNetwork: 10);
        admission.TryAdmit(At("203.0.113.1"), 0, out var first, out _);

        admission.Remove(first!);
        admission.Remove(first!);

        admission.TryAdmit(At("203.0.113.1"), 0, out _, out _).Should().Be(ListenerAdmission.Outcome.Admitted);
        admission.Count.Should().Be(1);
    }
}
