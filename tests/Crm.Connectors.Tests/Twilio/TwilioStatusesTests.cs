using Crm.Connectors.Twilio;
using Crm.Contracts;
using Xunit;

namespace Crm.Connectors.Tests.Twilio;

public sealed class TwilioStatusesTests
{
    [Theory]
    [InlineData("accepted", MessageStatuses.Queued)]
    [InlineData("scheduled", MessageStatuses.Queued)]
    [InlineData("queued", MessageStatuses.Queued)]
    [InlineData("sending", MessageStatuses.Queued)]
    [InlineData("sent", MessageStatuses.Sent)]
    [InlineData("delivered", MessageStatuses.Delivered)]
    [InlineData("read", MessageStatuses.Read)]
    [InlineData("failed", MessageStatuses.Failed)]
    [InlineData("canceled", MessageStatuses.Failed)]
    [InlineData("undelivered", MessageStatuses.Undelivered)]
    [InlineData("Delivered", MessageStatuses.Delivered)]
    [InlineData("UNDELIVERED", MessageStatuses.Undelivered)]
    [InlineData("receiving", null)]
    [InlineData("received", null)]
    [InlineData("partially_delivered", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Twilio_statuses_map_onto_inbox_statuses(string? twilioStatus, string? expected)
        => Assert.Equal(expected, TwilioStatuses.ToInboxStatus(twilioStatus));

    [Theory]
    [InlineData("queued")]
    [InlineData("sent")]
    [InlineData("delivered")]
    [InlineData("read")]
    [InlineData("failed")]
    [InlineData("undelivered")]
    public void Every_mapped_status_is_one_the_inbox_knows(string twilioStatus)
        => Assert.True(MessageStatuses.IsKnown(TwilioStatuses.ToInboxStatus(twilioStatus)!));
}
