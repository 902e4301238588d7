package web

import (
	"fmt"
	"net/url"
	"strings"
)

// ParsePublicURL checks the address the public reaches gongkai at (the
// --public-url flag) and returns it without a trailing slash: an absolute
// http or https URL with a host, and no user, path, query or fragment, such
// as "https://ledger.example.org" or "http://192.0.2.7:8080". An empty
// string is allowed and returned as is (no absolute links).
func ParsePublicURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	bad := func(why, whyZH string) error {
		return fmt.Errorf("--public-url %q: %s, such as https://ledger.example.org / 公开地址 --public-url 无效：%s，例如 https://ledger.example.org", s, why, whyZH)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", bad("not a URL", "不是网址")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("it must be an absolute http or https URL", "须为以 http 或 https 开头的完整网址")
	case u.Host == "" || u.Hostname() == "":
		return "", bad("it has no host", "缺少主机名")
	case u.User != nil:
		return "", bad("it must not hold a user name or password", "不能包含用户名或密码")
	case u.RawQuery != "" || u.ForceQuery:
		return "", bad("it must not have a query", "不能包含查询参数（?…）")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "", bad("it must not have a fragment", "不能包含片段（#…）")
	case u.Path != "" && u.Path != "/":
		return "", bad("it must not have a path: gongkai's links start at the root", "不能包含路径：gongkai 的链接从根路径开始")
	}
	return u.Scheme + "://" + u.Host, nil
}
