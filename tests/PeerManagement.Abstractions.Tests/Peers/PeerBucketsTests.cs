using System.Net;

namespace PeerManagement.Tests.Peers;

public class PeerBucketsTests
{
    [Fact]
    public void An_IPv4_address_is_its_own_internal_bucket_and_its_16_is_the_external_one()
    {
        var host = PeerHost.Parse("203.7.113.9");

        PeerBuckets.GetInternalBucket(host, null).Should().Be("203.7.113.9");
        PeerBuckets.GetExternalBucket(host, null).Should().Be("203.7.0.0/16");
    }

    [Fact]
    public void An_IPv6_address_is_bucketed_by_its_64_internally_and_its_56_externally()
    {
        var host = PeerHost.Parse("2a01:4f8:1234:5678:9abc::1");

        PeerBuckets.GetInternalBucket(host, null).Should().Be("2a01:4f8:1234:5678::/64");
        PeerBuckets.GetExternalBucket(host, null).Should().Be("2a01:4f8:1234:5600::/56");
    }

    [Fact]
    public void Addresses_in_the_same_prefix_share_a_bucket()
    {
        var a = PeerHost.Parse("2a01:4f8:1234:5678::1");
        var b = PeerHost.Parse("2a01:4f8:1234:5678:ffff::2");
        var c = PeerHost.Parse("2a01:4f8:1234:5679::1");

        PeerBuckets.GetInternalBucket(a, null).Should().Be(PeerBuckets.GetInternalBucket(b, null));
        PeerBuckets.GetInternalBucket(a, null).Should().NotBe(PeerBuckets.GetInternalBucket(c, null));
        PeerBuckets.GetExternalBucket(a, null).Should().Be(PeerBuckets.GetExternalBucket(c, null));
    }

    [Fact]
    public void A_host_name_is_bucketed_by_the_address_it_was_reached_at()
    {
        var host = PeerHost.Parse("electrum.example.org");

        PeerBuckets.GetInternalBucket(host, null).Should().BeNull();
        PeerBuckets.GetInternalBucket(host, IPAddress.Parse("8.8.4.4")).Should().Be("8.8.4.4");
        PeerBuckets.GetExternalBucket(host, IPAddress.Parse("8.8.4.4")).Should().Be("8.8.0.0/16");
    }

    [Fact]
    public void Every_onion_peer_shares_one_bucket()
    {
        var a = PeerHost.Parse("abcdefghijklmnop.onion");
        var b = PeerHost.Parse("bbcdefghijklmnop.onion");

        PeerBuckets.GetInternalBucket(a, null).Should().Be(PeerBuckets.Onion);
        PeerBuckets.GetExternalBucket(b, null).Should().Be(PeerBuckets.Onion);
    }
}
