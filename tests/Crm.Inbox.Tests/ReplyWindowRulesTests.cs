using Crm.Contracts;

namespace Crm.Inbox.Tests;

/// <summary>Each channel's reply window, as Crm.Contracts defines it once for every side.</summary>
public sealed class ReplyWindowRulesTests
{
    private static readonly DateTimeOffset Wrote = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Whatsapp_allows_free_text_for_24_hours_after_the_customers_last_message_then_only_templates()
    {
        var open = ReplyWindows.WhatsApp.Evaluate(Wrote, 40, Wrote.AddHours(23.9), byHumanAgent: true);
        var closed = ReplyWindows.WhatsApp.Evaluate(Wrote, 0, Wrote.AddHours(24), byHumanAgent: true);

        Assert.Equal(new ReplyWindowState(true, Wrote.AddHours(24), null, null), open);
        Assert.False(closed.CanSendFreeText);
        Assert.Contains("WhatsApp's 24-hour reply window closed at 2026-12-02 10:00 UTC", closed.Refusal);
    }

    [Fact]
    public void Messenger_gives_a_human_agent_7_days_with_the_human_agent_tag_but_automation_only_24_hours()
    {
        var human = ReplyWindows.Messenger.Evaluate(Wrote, 0, Wrote.AddDays(3), byHumanAgent: true);
        var automated = ReplyWindows.Messenger.Evaluate(Wrote, 0, Wrote.AddDays(3), byHumanAgent: false);
        var inside = ReplyWindows.Messenger.Evaluate(Wrote, 0, Wrote.AddHours(2), byHumanAgent: true);
        var week = ReplyWindows.Messenger.Evaluate(Wrote, 0, Wrote.AddDays(7), byHumanAgent: true);

        Assert.Equal((true, MetaMessageTags.HumanAgent, Wrote.AddDays(7)), (human.CanSendFreeText, human.Tag, human.Until));
        Assert.False(automated.CanSendFreeText);
        Assert.Null(inside.Tag);
        Assert.False(week.CanSendFreeText);
    }

    [Fact]
    public void Wechat_allows_5_replies_within_48_hours_of_the_customers_last_message()
    {
        var fourth = ReplyWindows.WeChat.Evaluate(Wrote, 4, Wrote.AddHours(47), byHumanAgent: true);
        var sixth = ReplyWindows.WeChat.Evaluate(Wrote, 5, Wrote.AddHours(1), byHumanAgent: true);

        Assert.Equal((true, 1), (fourth.CanSendFreeText, fourth.RepliesLeft));
        Assert.False(sixth.CanSendFreeText);
        Assert.Contains("5 replies", sixth.Refusal);
        Assert.False(ReplyWindows.WeChat.Evaluate(Wrote, 0, Wrote.AddHours(48), byHumanAgent: true).CanSendFreeText);
    }

    [Fact]
    public void A_customer_who_never_wrote_can_only_be_sent_a_template()
        => Assert.False(ReplyWindows.WhatsApp.Evaluate(null, 0, Wrote, byHumanAgent: true).CanSendFreeText);

    [Fact]
    public void A_template_renders_its_placeholders_and_names_the_variables_left_without_a_value()
    {
        var template = new MessageTemplate("t1", "notice", "zh_CN", "{{first.DATA}} order {{ keyword1.DATA }}: {{2}}", ["first", "keyword1", "2"]);
        var values = new Dictionary<string, string> { ["first"] = "Hello", ["keyword1"] = "A-1", ["2"] = " " };

        Assert.Equal("Hello order A-1:  ", template.Render(values));
        Assert.Equal(["2"], template.Missing(values));
    }
}
