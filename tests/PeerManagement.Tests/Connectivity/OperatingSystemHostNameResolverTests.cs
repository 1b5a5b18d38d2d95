namespace PeerManagement.Tests.Connectivity;

public class OperatingSystemHostNameResolverTests
{
    [Theory]
    [InlineData("0x7f.0x0.0x0.0x1")]
    [InlineData("0x7f.1")]
    [InlineData("2130706433")]
    [InlineData("127.1")]
    [InlineData("0177.0.0.1")]
    [InlineData("010.8.8.8")]
    [InlineData("localhost")]
    public async Task A_name_that_is_not_a_peer_host_resolves_to_nothing(string name)
    {
        // These never reach the system resolver, which would read the numbers as addresses without asking DNS.
        var addresses = await new OperatingSystemHostNameResolver().ResolveAsync(name, TestContext.Current.CancellationToken);

        addresses.Should().BeEmpty();
    }
}
