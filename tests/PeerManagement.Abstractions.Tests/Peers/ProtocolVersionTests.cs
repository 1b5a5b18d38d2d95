namespace PeerManagement.Tests.Peers;

public class ProtocolVersionTests
{
    [Theory]
    [InlineData("1.4", "1.4")]
    [InlineData("1.4.0", "1.4")]
    [InlineData("1.4.2", "1.4.2")]
    [InlineData("1", "1.0")]
    public void Versions_are_normalised(string text, string normalised)
    {
        ProtocolVersion.Parse(text).ToString().Should().Be(normalised);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.")]
    [InlineData("1..4")]
    [InlineData("1.4.2.1")]
    [InlineData("v1.4")]
    [InlineData("1.-4")]
    [InlineData("99999.1")]
    [InlineData(".4")]
    [InlineData("1.4.")]
    [InlineData("1.12345")]
    public void Malformed_versions_are_refused(string text)
    {
        ProtocolVersion.TryParse(text, out _).Should().BeFalse();
    }

    [Fact]
    public void Versions_compare_by_number_not_text()
    {
        ProtocolVersion.Parse("1.10").Should().BeGreaterThan(ProtocolVersion.Parse("1.9"));
        (ProtocolVersion.Parse("1.4") == ProtocolVersion.Parse("1.4.0")).Should().BeTrue();
    }
}
