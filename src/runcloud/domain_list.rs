//! The domain list of a web app, read whole: every page, checked page by page and as a whole.
//!
//! Owns paging (both styles RunCloud has used, and lists that announce no total), reading the
//! pages after the first at once, and refusing a list that is partial or inconsistent — a plan
//! is never made from one. Sends through the request loop (`request`); decides nothing else.

use super::wire::{WireDomain, WireList};
use super::{ApiError, Client, PER_PAGE};
use crate::model::LiveDomain;
use futures_util::StreamExt;
use tracing::debug;

/// Pages read from a list that announces no total before giving up: 5,000 pages are 100,000
/// domains even at RunCloud's default of 20 a page.
const MAX_PAGES_WITHOUT_TOTAL: u64 = 5_000;

impl Client {
    /// Every domain of the app, all pages (see `Client::list_domains`); `changing`: the list
    /// may change while read (see `Client::domains_attached_now`).
    pub(super) async fn read_domains(
        &self,
        server: u64,
        app: u64,
        changing: bool,
    ) -> Result<Vec<LiveDomain>, ApiError> {
        let path = format!("servers/{server}/webapps/{app}/domains");
        let mut list = DomainList {
            changing,
            ..DomainList::default()
        };
        self.progress.start(0);
        let first = self.domain_page(&path, 1, None).await?;
        let total_pages = list.take(first, 1)?;
        self.progress.set_total(total_pages.unwrap_or(1));
        self.progress.set_done(1);
        match total_pages {
            Some(tp) => self.pages_up_to(&path, tp, &mut list).await?,
            None => self.pages_until_empty(&path, &mut list).await?,
        }
        list.finish()
    }

    /// Pages 2 to `tp` (the total the first page announced), at most `read_concurrency` in
    /// flight, taken in order. An empty page before the last is a partial list.
    async fn pages_up_to(
        &self,
        path: &str,
        tp: u64,
        list: &mut DomainList,
    ) -> Result<(), ApiError> {
        if tp > 100_000 {
            return Err(ApiError::InconsistentList {
                detail: format!("the API announced {tp} pages"),
            });
        }
        let mut pages = futures_util::stream::iter(2..=tp)
            .map(|page| async move { (page, self.domain_page(path, page, Some(tp)).await) })
            .buffered(self.config.read_concurrency.max(1));
        while let Some((page, answer)) = pages.next().await {
            list.take(answer?, page)?;
            self.progress.set_done(page);
            if list.last_count == 0 && page < tp {
                return Err(ApiError::PartialList {
                    page,
                    total: Some(tp),
                    source: Box::new(ApiError::InconsistentList {
                        detail: format!("page {page} was empty but the API reported {tp} pages"),
                    }),
                });
            }
        }
        Ok(())
    }

    /// Without totals, pages one by one: only an empty page ends the list.
    async fn pages_until_empty(&self, path: &str, list: &mut DomainList) -> Result<(), ApiError> {
        let mut page = 1u64;
        while list.last_count > 0 {
            if page >= MAX_PAGES_WITHOUT_TOTAL {
                return Err(ApiError::InconsistentList {
                    detail: format!(
                        "more than {MAX_PAGES_WITHOUT_TOTAL} pages and still not an empty one"
                    ),
                });
            }
            page += 1;
            let answer = self.domain_page(path, page, None).await?;
            list.take(answer, page)?;
            self.progress.set_total(page);
            self.progress.set_done(page);
        }
        Ok(())
    }

    /// One page of the domain list; a failure past the first page is a `PartialList`.
    async fn domain_page(
        &self,
        path: &str,
        page: u64,
        total: Option<u64>,
    ) -> Result<WireList<WireDomain>, ApiError> {
        let query = [
            ("page", page.to_string()),
            ("perPage", PER_PAGE.to_string()),
        ];
        match self.get_json(path, &query).await {
            Ok(l) => Ok(l),
            Err(source) if page == 1 => Err(source),
            Err(source) => Err(ApiError::PartialList {
                page,
                total,
                source: Box::new(source),
            }),
        }
    }
}

/// A domain list as its pages arrive, in order: checks each page and the whole.
#[derive(Default)]
struct DomainList {
    domains: Vec<LiveDomain>,
    /// Domain id → the page it was read on.
    seen: std::collections::BTreeMap<u64, u64>,
    total: Option<u64>,
    total_pages: Option<u64>,
    /// Rows on the page taken last.
    last_count: u64,
    /// The list may change while read (see `Client::domains_attached_now`).
    changing: bool,
}

impl DomainList {
    /// Takes page `page`; returns the page count the answer announces, if any.
    fn take(&mut self, list: WireList<WireDomain>, page: u64) -> Result<Option<u64>, ApiError> {
        let meta = list.meta.unwrap_or_default();
        if let Some(current) = meta.current_page()
            && current != page
        {
            return Err(ApiError::InconsistentList {
                detail: format!(
                    "page {page} was asked for but the answer says it is page {current}; the API ignored the page parameter"
                ),
            });
        }
        self.total_pages = self.total_pages.or(meta.total_pages());
        self.total = self.total.or(meta.total());
        self.last_count = list.data.len() as u64;
        for d in list.data {
            let d = d.into_model();
            if let Some(first) = self.seen.insert(d.id, page) {
                if self.changing {
                    continue;
                }
                return Err(ApiError::InconsistentList {
                    detail: format!(
                        "domain id {} appeared on page {first} and again on page {page}",
                        d.id
                    ),
                });
            }
            self.domains.push(d);
        }
        debug!(
            page,
            count = self.last_count,
            total_pages = self.total_pages,
            "domain page"
        );
        Ok(self.total_pages)
    }

    fn finish(self) -> Result<Vec<LiveDomain>, ApiError> {
        if let Some(t) = self.total
            && t != self.domains.len() as u64
            && !self.changing
        {
            return Err(ApiError::InconsistentList {
                detail: format!(
                    "the API reported {t} domains but {} were read",
                    self.domains.len()
                ),
            });
        }
        Ok(self.domains)
    }
}
