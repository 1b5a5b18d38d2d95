namespace PeerManagement.Tests.Peers;

public class PeerPortsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Port_outside_1_to_65535_is_rejected_naming_the_argument(int port)
    {
        var act = () => new PeerPorts(port, null);

        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("tcpPort");
    }

    [Fact]
    public void Absent_ports_are_null_and_the_pair_is_empty()
    {
        var ports = new PeerPorts(null, null);

        ports.IsEmpty.Should().BeTrue();
        ports.TcpPort.Should().BeNull();
        ports.SslPort.Should().BeNull();
        ports.Should().Be(PeerPorts.None);
    }

    [Fact]
    public void Pairs_with_the_same_ports_are_equal()
    {
        new PeerPorts(50001, 50002).Should().Be(new PeerPorts(50001, 50002));
        new PeerPorts(50001, 50002).Should().NotBe(new PeerPorts(50001, null));
    }
}
