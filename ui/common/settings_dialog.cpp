// SettingsDialog: changing the language re-sends LanguageChange to every widget, this dialog
// included, so its own labels switch too.
#include "common/settings_dialog.h"

#include "common/engine_bridge.h"
#include "common/language.h"
#include "common/theme.h"
#include "gallery/thumbnail_loader.h"

#include "engine/model_cache.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

SettingsDialog::SettingsDialog(QWidget *parent)
    : QDialog(parent)
    , m_languageLabel(new QLabel(this))
    , m_language(new QComboBox(this))
    , m_languageHint(new QLabel(this))
    , m_themeLabel(new QLabel(this))
    , m_theme(new QComboBox(this))
    , m_memoryLabel(new QLabel(this))
    , m_memory(new QDoubleSpinBox(this))
    , m_memoryHint(new QLabel(this))
    , m_cacheLabel(new QLabel(this))
    , m_cachePath(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Close, this))
{
    for (const QString &code : Language::codes())
        m_language->addItem(Language::nativeName(code), code);
    m_language->setCurrentIndex(std::max(0, m_language->findData(Language::saved())));
    m_theme->addItem(QString(), QStringLiteral("dark"));
    m_theme->addItem(QString(), QStringLiteral("system"));
    m_theme->setCurrentIndex(std::max(0, m_theme->findData(Theme::saved())));
    m_languageHint->setForegroundRole(QPalette::PlaceholderText);
    m_languageHint->setWordWrap(true);
    constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    m_memory->setObjectName(QStringLiteral("modelMemory"));
    m_memory->setRange(0.25, 4096.0);
    m_memory->setDecimals(2);
    m_memory->setSingleStep(0.5);
    m_memory->setSuffix(QStringLiteral(" GB"));
    const qint64 saved = EngineBridge::savedModelMemory();
    m_memory->setValue(static_cast<double>(saved > 0 ? saved : ml::defaultModelMemory()) / kGiB);
    m_memoryHint->setForegroundRole(QPalette::PlaceholderText);
    m_memoryHint->setWordWrap(true);
    m_cachePath->setText(QDir::toNativeSeparators(ThumbnailLoader::defaultCacheDir()));
    m_cachePath->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_cachePath->setWordWrap(true);

    auto *form = new QFormLayout;
    form->setHorizontalSpacing(16);
    form->setVerticalSpacing(10);
    form->addRow(m_languageLabel, m_language);
    form->addRow(QString(), m_languageHint);
    form->addRow(m_themeLabel, m_theme);
    form->addRow(m_memoryLabel, m_memory);
    form->addRow(QString(), m_memoryHint);
    form->addRow(m_cacheLabel, m_cachePath);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(18, 18, 18, 12);
    layout->addLayout(form);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    connect(m_language, &QComboBox::currentIndexChanged, this, [this] {
        const QString code = m_language->currentData().toString();
        Language::save(code);
        Language::apply(code);
    });
    connect(m_theme, &QComboBox::currentIndexChanged, this, [this] {
        const QString name = m_theme->currentData().toString();
        Theme::save(name);
        Theme::apply(name);
    });
    connect(m_memory, &QDoubleSpinBox::valueChanged, this, [this](double gb) {
        const auto bytes = static_cast<qint64>(gb * 1024.0 * 1024.0 * 1024.0);
        EngineBridge::saveModelMemory(bytes);
        // The main window's engine takes it at once: models that no longer fit are unloaded.
        if (auto *bridge = parentWidget() ? parentWidget()->findChild<EngineBridge *>() : nullptr)
            bridge->setModelMemory(bytes);
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    setMinimumWidth(460);
    retranslate();
}

void SettingsDialog::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QDialog::changeEvent(event);
}

void SettingsDialog::retranslate()
{
    setWindowTitle(tr("Settings"));
    m_languageLabel->setText(tr("Language"));
    m_language->setItemText(0, tr("System (%1)").arg(Language::nativeName(Language::resolve({}))));
    m_languageHint->setText(tr("The interface switches at once; the choice is remembered."));
    m_themeLabel->setText(tr("Appearance"));
    m_theme->setItemText(0, tr("Dark"));
    m_theme->setItemText(1, tr("System colours"));
    m_memoryLabel->setText(tr("Memory for models"));
    m_memoryHint->setText(tr("Loaded models are kept up to this size, the least recently used unloaded first; a "
                             "model whose config.json says it needs more is refused. Default here: %1 (half the "
                             "free memory).")
                              .arg(QString::fromStdString(ml::formatMemory(ml::defaultModelMemory()))));
    m_cacheLabel->setText(tr("Thumbnail cache"));
    m_buttons->button(QDialogButtonBox::Close)->setText(tr("Close"));
}
