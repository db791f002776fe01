/// The layouts every issue is sent in: a plain HTML email that reads well in any client (a hidden
/// preheader, the body, a footer with the reader's unsubscribe link and the browser link), and
/// the same in plain text. The archive renders them without a reader, so the personal parts drop.
enum Layout {
    static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    static let html = """
        <!doctype html>
        <html lang="da">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{subject}}</title>
        </head>
        <body style="margin:0;padding:0;background:#f4f4f2">
        <span style="display:none;max-height:0;overflow:hidden;opacity:0">{{preheader}}</span>
        <div style="max-width:600px;margin:0 auto;padding:24px;background:#ffffff;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:16px;line-height:1.5;color:#1d1d1b">
        <p style="font-size:13px;color:#6b6b66;margin:0 0 16px">{{listName}}</p>
        {{> bodyHTML}}
        <hr style="border:none;border-top:1px solid #e0e0dc;margin:32px 0 16px">
        <p style="font-size:13px;color:#6b6b66">
        {{#unsubscribeURL}}You receive “{{listName}}” because you subscribed to it. / Du modtager “{{listName}}”, fordi du har tilmeldt dig.<br>
        <a href="{{unsubscribeURL}}">Unsubscribe / Afmeld</a> · {{/unsubscribeURL}}<a href="{{archiveURL}}">Read it in your browser / Læs i browseren</a>
        </p>
        </div>
        </body>
        </html>

        """

    static let text = """
        {{% CONTENT_TYPE: TEXT}}
        {{> bodyText}}

        --
        {{listName}}
        Read it in your browser / Læs i browseren: {{archiveURL}}
        {{#unsubscribeURL}}
        Unsubscribe / Afmeld: {{unsubscribeURL}}
        {{/unsubscribeURL}}

        """
}
