using Crm.Contracts;
using Crm.Inbox.Customers;

namespace Crm.Inbox.Tests.Customers;

public sealed class ConsentKeywordsTests
{
    private static InboundMessageReceived Message(string? text) => new(
        Channels.WhatsApp, "SM1", "+14155550100", null, "+14155238886", text, [], null, null, new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData("STOP", ConsentStates.OptedOut)]
    [InlineData("stopall", ConsentStates.OptedOut)]
    [InlineData(" Cancel\t", ConsentStates.OptedOut)]
    [InlineData("end", ConsentStates.OptedOut)]
    [InlineData("QUIT", ConsentStates.OptedOut)]
    [InlineData("退订", ConsentStates.OptedOut)]
    [InlineData("\u3000TD\u3000", ConsentStates.OptedOut)]
    [InlineData("Start", ConsentStates.OptedIn)]
    [InlineData("UNSTOP", ConsentStates.OptedIn)]
    [InlineData("subscribe", ConsentStates.OptedIn)]
    [InlineData("订阅", ConsentStates.OptedIn)]
    public void A_keyword_alone_is_a_consent_choice_whatever_its_case_and_surrounding_space(string text, string state)
        => Assert.Equal(new ConsentChange(state, ConsentSources.Keyword, text.Trim()), ConsentKeywords.ChangeFrom(Message(text)));

    [Theory]
    [InlineData("stop it")]
    [InlineData("STOP.")]
    [InlineData("我要退订")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_but_the_keyword_alone_records_no_choice(string? text)
        => Assert.Null(ConsentKeywords.ChangeFrom(Message(text)));

    [Fact]
    public void The_businesss_own_echo_of_stop_is_not_the_customers_choice()
        => Assert.Null(ConsentKeywords.ChangeFrom(Message("STOP") with { SentByBusiness = true }));

    [Theory]
    [InlineData(CustomerEventKinds.Unsubscribed, ConsentStates.OptedOut)]
    [InlineData(CustomerEventKinds.Subscribed, ConsentStates.OptedIn)]
    public void A_follow_or_unfollow_is_the_channels_own_consent(string kind, string state)
        => Assert.Equal(new ConsentChange(state, ConsentSources.ChannelEvent, kind),
            ConsentKeywords.ChangeFrom(Message(null) with { Channel = Channels.WeChat, Event = new CustomerEvent(kind, null, null) }));

    [Fact]
    public void Other_events_record_no_choice()
        => Assert.Null(ConsentKeywords.ChangeFrom(Message("STOP") with { Event = new CustomerEvent(CustomerEventKinds.MenuClicked, "STOP", null) }));

    [Fact]
    public void A_history_cursor_reads_back_as_written_and_garbage_is_no_cursor()
    {
        var cursor = new ProfileChangeCursor(42, "consent.whatsapp");

        Assert.True(ProfileChangeCursor.TryParse(cursor.Encode(), out var read));
        Assert.Equal(cursor, read);
        Assert.False(ProfileChangeCursor.TryParse("!!", out _));
        Assert.False(ProfileChangeCursor.TryParse("AAAA", out _));
        Assert.False(ProfileChangeCursor.TryParse(new ProfileChangeCursor(-1, "x").Encode(), out _));
    }
}
